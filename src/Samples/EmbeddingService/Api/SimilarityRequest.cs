namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>The body of <c>POST /similarity</c>.</summary>
public sealed record SimilarityRequest(string? A, string? B);
