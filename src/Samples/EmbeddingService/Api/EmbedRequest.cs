namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>The body of <c>POST /embed</c>.</summary>
public sealed record EmbedRequest(string? Text);
