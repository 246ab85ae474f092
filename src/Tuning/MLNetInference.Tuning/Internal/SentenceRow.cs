namespace MLNetInference.Tuning.Internal;

/// <summary>One sentence to tokenize, as a row of an ML.NET data view.</summary>
internal sealed class SentenceRow
{
    public string Text { get; set; } = string.Empty;
}
