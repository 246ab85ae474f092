using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Models.Tests.Internal;

/// <summary>Runs a model once in ONNX Runtime and copies its outputs out.</summary>
internal static class OrtRunner
{
    public static Dictionary<string, (long[] Shape, float[] Values)> Run(byte[] model, params (string Name, OrtValue Value)[] inputs)
    {
        using var session = new InferenceSession(model);
        using var runOptions = new RunOptions();
        var outputNames = session.OutputNames.ToArray();
        try
        {
            using var outputs = session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), outputNames);
            var result = new Dictionary<string, (long[] Shape, float[] Values)>();
            for (var i = 0; i < outputNames.Length; i++)
            {
                result[outputNames[i]] = (outputs[i].GetTensorTypeAndShape().Shape, outputs[i].GetTensorDataAsSpan<float>().ToArray());
            }

            return result;
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Value.Dispose();
            }
        }
    }

    public static OrtValue Float(float[] values, params long[] shape) => OrtValue.CreateTensorValueFromMemory(values, shape);

    public static OrtValue Int64(long[] values, params long[] shape) => OrtValue.CreateTensorValueFromMemory(values, shape);
}
