namespace MLNetInference.Samples.Quickstart;

/// <summary>The input row: one sentence.</summary>
public sealed class Sentence
{
    public string Text { get; set; } = string.Empty;
}
