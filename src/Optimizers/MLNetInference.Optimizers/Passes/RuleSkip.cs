namespace MLNetInference.Optimizers.Passes;

/// <summary>A rule of a <see cref="RuleBasedPass"/> that did not take part in a run because the model's opsets fall outside the op versions it declares.</summary>
/// <param name="PassName">The pass the rule belongs to.</param>
/// <param name="RuleName">The rule's name.</param>
/// <param name="Reason">Which declared op the model's opset does not cover (<see cref="RewriteRule.GetNotApplicableReason"/>).</param>
public sealed record RuleSkip(string PassName, string RuleName, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => $"{RuleName} (in {PassName}) does not apply: {Reason}";
}
