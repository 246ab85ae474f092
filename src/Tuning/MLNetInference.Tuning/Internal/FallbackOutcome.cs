namespace MLNetInference.Tuning.Internal;

/// <summary>What the accuracy-driven fallback found: the nodes to keep in float (null when nothing passed) and the attempts that did not pass.</summary>
internal sealed record FallbackOutcome(string[]? Passed, List<string[]> Rejected);
