using Microsoft.ML.Data;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>The tokens padded to the fixed length that ML.NET's ApplyOnnxModel needs for MiniLM.</summary>
internal sealed class PaddedTokens
{
    public const int Length = 128;

    [ColumnName("input_ids")]
    [VectorType(Length)]
    public long[] InputIds { get; set; } = new long[Length];

    [ColumnName("attention_mask")]
    [VectorType(Length)]
    public long[] AttentionMask { get; set; } = new long[Length];

    [ColumnName("token_type_ids")]
    [VectorType(Length)]
    public long[] TokenTypeIds { get; set; } = new long[Length];

    /// <summary>Copies the variable-length tokens into zero-padded fixed-length vectors.</summary>
    public static void Pad(TokenizedRow input, PaddedTokens output)
    {
        Fill(input.Ids, output.InputIds);
        Fill(input.Mask, output.AttentionMask);
        Fill(input.Types, output.TokenTypeIds);
    }

    private static void Fill(long[] source, long[] destination)
    {
        Array.Clear(destination);
        source.AsSpan(0, Math.Min(source.Length, Length)).CopyTo(destination);
    }
}
