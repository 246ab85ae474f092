using Microsoft.ML.Data;

namespace MLNetInference.Samples.Quickstart;

/// <summary>Tokens padded to 128, the fixed shape ML.NET's ApplyOnnxModel needs for MiniLM.</summary>
public sealed class FixedLengthTokens
{
    public const int Length = 128;

    [ColumnName("input_ids")]
    [VectorType(Length)]
    public long[] InputIds { get; set; } = [];

    [ColumnName("attention_mask")]
    [VectorType(Length)]
    public long[] AttentionMask { get; set; } = [];

    [ColumnName("token_type_ids")]
    [VectorType(Length)]
    public long[] TokenTypeIds { get; set; } = [];
}
