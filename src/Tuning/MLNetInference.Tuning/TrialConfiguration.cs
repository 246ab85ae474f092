namespace MLNetInference.Tuning;

/// <summary>One point of the search space: how the model is rewritten, how the session runs it, and how the pool batches.</summary>
/// <param name="Candidate">The recipe.</param>
/// <param name="Session">The session settings.</param>
/// <param name="Batching">The batching settings.</param>
public sealed record TrialConfiguration(RecipeCandidate Candidate, SessionSettings Session, BatchingSettings Batching)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Candidate.Name}; {Session}; {Batching}";
}
