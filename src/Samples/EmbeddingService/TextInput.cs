namespace MLNetInference.Samples.EmbeddingService;

/// <summary>The row the embedder pool takes: one text.</summary>
public sealed class TextInput
{
    public string Text { get; set; } = string.Empty;
}
