using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Recipes;

/// <summary>What <see cref="ModelOptimizer"/>.Optimize produced: the model, its size and node counts, the passes' work and the accuracy check.</summary>
/// <param name="Recipe">The recipe applied.</param>
/// <param name="Model">The optimized model.</param>
/// <param name="NodesBefore">Nodes in the original graph.</param>
/// <param name="NodesAfter">Nodes in the optimized graph.</param>
/// <param name="BytesBefore">Size of the original model.</param>
/// <param name="BytesAfter">Size of the optimized model.</param>
/// <param name="Passes">What each pass did.</param>
/// <param name="Verification">The optimized model compared with the original on sample inputs.</param>
public sealed record OptimizationResult(
    string Recipe,
    byte[] Model,
    int NodesBefore,
    int NodesAfter,
    long BytesBefore,
    long BytesAfter,
    PassManagerReport? Passes,
    VerificationReport Verification)
{
    /// <summary>Gets a value indicating whether the recipe changed the model (<see cref="UnchangedReason"/> is <see langword="null"/>).</summary>
    public bool Applied => UnchangedReason is null;

    /// <summary>Gets why the model came back unchanged, or <see langword="null"/> when the recipe changed it.</summary>
    public string? UnchangedReason { get; init; }

    /// <summary>Gets the passes the safety net rolled back and left out (they broke the graph, threw, or moved the outputs beyond the recipe's tolerance); empty when none.</summary>
    public IReadOnlyList<PassRollback> RolledBack { get; init; } = [];

    /// <summary>
    /// Gets the fusion and cleanup rules that did not take part because the model's opsets fall outside the op versions
    /// they declare, each with the reason (<see cref="PassManagerReport.SkippedRules"/>); empty when none.
    /// </summary>
    public IReadOnlyList<RuleSkip> SkippedRules => Passes?.SkippedRules ?? [];

    /// <summary>Gets what the caller should know about the result, for example that static quantization calibrated on generated inputs.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
