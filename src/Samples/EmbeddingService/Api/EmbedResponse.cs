namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>The answer of <c>POST /embed</c>: 384 floats of L2 norm 1.</summary>
public sealed record EmbedResponse(float[] Embedding);
