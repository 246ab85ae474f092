using Microsoft.ML.Data;

namespace MLNetInference.Samples.GpuCheck;

/// <summary>Token ids for MiniLM, as the pool's raw ONNX mapping reads them (member names are the model's input names).</summary>
internal sealed class TokenInput
{
#pragma warning disable SA1300, IDE1006 // Member names follow the model's input names.
    [VectorType]
    public long[] input_ids { get; set; } = [];

    [VectorType]
    public long[] attention_mask { get; set; } = [];

    [VectorType]
    public long[] token_type_ids { get; set; } = [];
#pragma warning restore SA1300, IDE1006

    public static TokenInput Create(int length)
    {
        var ids = new long[length];
        for (var t = 0; t < length; t++)
        {
            ids[t] = 1000 + (t * 37 % 20000);
        }

        ids[0] = 101;
        ids[^1] = 102;
        return new TokenInput { input_ids = ids, attention_mask = Enumerable.Repeat(1L, length).ToArray(), token_type_ids = new long[length] };
    }
}
