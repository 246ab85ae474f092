namespace MLNetInference.Consumer.Tests.Internal;

/// <summary>One embedding line of a README program.</summary>
/// <param name="Sentence">The sentence embedded.</param>
/// <param name="Dimensions">The embedding's length.</param>
/// <param name="First">Its first values as printed.</param>
internal sealed record PrintedEmbedding(string Sentence, int Dimensions, IReadOnlyList<double> First);
