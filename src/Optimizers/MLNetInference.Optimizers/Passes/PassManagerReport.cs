namespace MLNetInference.Optimizers.Passes;

/// <summary>What a <see cref="PassManager"/> run did.</summary>
/// <param name="Iterations">How many rounds over the passes ran.</param>
/// <param name="ReachedFixpoint">Whether the last round changed nothing (otherwise the iteration limit stopped the run).</param>
/// <param name="Passes">Per pass, in order: runs and changes.</param>
public sealed record PassManagerReport(int Iterations, bool ReachedFixpoint, IReadOnlyList<PassRunSummary> Passes)
{
    /// <summary>Gets the passes a guarded run rolled back and left out, in the order it happened; empty when none.</summary>
    public IReadOnlyList<PassRollback> RolledBack { get; init; } = [];

    /// <summary>
    /// Gets the rules of the run's <see cref="RuleBasedPass"/>es (nested managers included) that did not take part because
    /// the model's opsets fall outside the op versions they declare, each with the reason; empty when every rule could apply.
    /// </summary>
    public IReadOnlyList<RuleSkip> SkippedRules { get; init; } = [];
}
