namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>The answer of <c>POST /similarity</c>: the cosine of the two texts' embeddings, in [-1, 1].</summary>
public sealed record SimilarityResponse(double Cosine);
