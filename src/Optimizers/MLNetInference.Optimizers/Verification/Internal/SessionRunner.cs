using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetInference.Optimizers.Verification.Internal;

/// <summary>Runs a session on one sample and reads its outputs as doubles.</summary>
internal static class SessionRunner
{
    public static Dictionary<string, OutputValues> Run(InferenceSession session, IReadOnlyDictionary<string, SampleTensor> sample, string[] outputNames)
    {
        var inputNames = new List<string>(sample.Count);
        var inputValues = new List<OrtValue>(sample.Count);
        try
        {
            foreach (var (name, tensor) in sample)
            {
                if (!session.InputMetadata.ContainsKey(name))
                {
                    continue;
                }

                inputNames.Add(name);
                inputValues.Add(CreateValue(name, tensor));
            }

            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputNames, inputValues, outputNames);
            var outputs = new Dictionary<string, OutputValues>(StringComparer.Ordinal);
            for (var i = 0; i < outputNames.Length; i++)
            {
                outputs[outputNames[i]] = Read(results[i]);
            }

            return outputs;
        }
        finally
        {
            foreach (var value in inputValues)
            {
                value.Dispose();
            }
        }
    }

    internal static OrtValue CreateValue(string name, SampleTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor.Data, name);
        ArgumentNullException.ThrowIfNull(tensor.Shape, name);
        long count = 1;
        foreach (var dim in tensor.Shape)
        {
            count *= dim;
        }

        if (count != tensor.Data.Length)
        {
            throw new ArgumentException(
                $"Sample input '{name}' has {tensor.Data.Length} values but its shape [{string.Join(", ", tensor.Shape)}] needs {count}.");
        }

        return tensor.Data switch
        {
            float[] f => OrtValue.CreateTensorValueFromMemory(f, tensor.Shape),
            double[] d => OrtValue.CreateTensorValueFromMemory(d, tensor.Shape),
            long[] l => OrtValue.CreateTensorValueFromMemory(l, tensor.Shape),
            int[] n => OrtValue.CreateTensorValueFromMemory(n, tensor.Shape),
            bool[] b => OrtValue.CreateTensorValueFromMemory(b, tensor.Shape),
            _ => throw new ArgumentException(
                $"Sample input '{name}' holds {tensor.Data.GetType().Name}; use float[], double[], long[], int[] or bool[]."),
        };
    }

    private static OutputValues Read(OrtValue value)
    {
        if (!value.IsTensor)
        {
            return new OutputValues([], null, "the output is not a tensor");
        }

        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        double[]? values = info.ElementDataType switch
        {
            TensorElementType.Float => Widen(value.GetTensorDataAsSpan<float>(), v => v),
            TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Int64 => Widen(value.GetTensorDataAsSpan<long>(), v => v),
            TensorElementType.Int32 => Widen(value.GetTensorDataAsSpan<int>(), v => v),
            TensorElementType.Bool => Widen(value.GetTensorDataAsSpan<bool>(), v => v ? 1 : 0),
            _ => null,
        };
        return values is null
            ? new OutputValues(shape, null, $"element type {info.ElementDataType} is not compared")
            : new OutputValues(shape, values, null);
    }

    private static double[] Widen<T>(ReadOnlySpan<T> span, Func<T, double> convert)
    {
        var result = new double[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            result[i] = convert(span[i]);
        }

        return result;
    }
}
