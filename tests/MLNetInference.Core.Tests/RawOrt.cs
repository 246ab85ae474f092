using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Core.Tests;

/// <summary>The reference: one raw ONNX Runtime call for one row, with exact shapes.</summary>
internal static class RawOrt
{
    public static float[] RunText(InferenceSession session, long[] ids, string output = "last_hidden_state")
    {
        var shape = new long[] { 1, ids.Length };
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = idsValue,
            ["attention_mask"] = maskValue,
            ["token_type_ids"] = typeValue,
        };
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, inputs, [output]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public static float[] RunFloat(InferenceSession session, string input, float[] values, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(values, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [input], [value], [session.OutputNames[0]]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
