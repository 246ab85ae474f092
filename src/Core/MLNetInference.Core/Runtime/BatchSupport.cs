namespace MLNetInference.Core.Runtime;

/// <summary>How a loaded model takes batches of rows.</summary>
public enum BatchSupport
{
    /// <summary>The model declares a dynamic batch dimension: many rows run in one call.</summary>
    Dynamic = 0,

    /// <summary>The model's batch dimension was fixed at 1 and was rewritten to a symbolic one, checked numerically.</summary>
    RewrittenFromFixed = 1,

    /// <summary>The batch dimension is fixed and could not safely be rewritten: rows run one call each.</summary>
    PerRow = 2,
}
