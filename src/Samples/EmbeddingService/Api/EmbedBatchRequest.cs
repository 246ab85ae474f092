namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>The body of <c>POST /embed/batch</c>.</summary>
public sealed record EmbedBatchRequest(IReadOnlyList<string?>? Texts);
