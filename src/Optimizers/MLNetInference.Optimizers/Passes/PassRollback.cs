namespace MLNetInference.Optimizers.Passes;

/// <summary>A pass that a guarded run (<see cref="PassManager.RollBackFailedPasses"/>) undid and left out.</summary>
/// <param name="PassName">The pass's name.</param>
/// <param name="Check">
/// What it failed: <c>structure</c> (the graph was malformed, or a node no longer fit its op's schema at the model's
/// opset), <c>run</c> (ONNX Runtime refused the model, or its outputs left the recipe's tolerance) or
/// <c>exception</c> (the pass threw).
/// </param>
/// <param name="Reason">What was wrong, naming the node or the output.</param>
public sealed record PassRollback(string PassName, string Check, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => $"{PassName} rolled back ({Check}): {Reason}";
}
