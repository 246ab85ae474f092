namespace MLNetInference.Optimizers.Passes;

/// <summary>How one pass fared in a <see cref="PassManager"/> run.</summary>
/// <param name="Name">The pass's name.</param>
/// <param name="Runs">How many times it ran.</param>
/// <param name="Changes">How many of those runs changed the model.</param>
public sealed record PassRunSummary(string Name, int Runs, int Changes);
