using Microsoft.ML.Data;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>The tokenizer's variable-length columns, as the baseline's padding step reads them.</summary>
internal sealed class TokenizedRow
{
    [ColumnName("ids")]
    public long[] Ids { get; set; } = [];

    [ColumnName("mask")]
    public long[] Mask { get; set; } = [];

    [ColumnName("types")]
    public long[] Types { get; set; } = [];
}
