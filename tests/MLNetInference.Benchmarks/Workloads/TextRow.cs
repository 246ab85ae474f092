namespace MLNetInference.Benchmarks.Workloads;

/// <summary>One sentence, as loaded into a data view.</summary>
internal sealed class TextRow
{
    public string Text { get; set; } = string.Empty;
}
