using MLNetInference.Optimizers.Graph;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// The transformer fusion passes, in the order they should run: LayerNormalization and GELU first, then the fusions
/// that build on them (SkipLayerNormalization, BiasGelu).
/// </summary>
public static class FusionPasses
{
    /// <summary>Gets the rules of the first stage: decomposed patterns into <c>LayerNormalization</c> and <c>Gelu</c>.</summary>
    /// <returns>New rule instances.</returns>
    public static IReadOnlyList<RewriteRule> PrimaryRules() => [new LayerNormalizationFusion(), new GeluFusion()];

    /// <summary>Gets the rules of the second stage, which fold neighbours into the first stage's nodes.</summary>
    /// <returns>New rule instances.</returns>
    public static IReadOnlyList<RewriteRule> SecondaryRules() => [new SkipLayerNormalizationFusion(), new BiasGeluFusion()];

    /// <summary>
    /// Creates the fusion passes in order: <c>fuse-layernorm-gelu</c> (<see cref="LayerNormalizationFusion"/>,
    /// <see cref="GeluFusion"/>), then <c>fuse-skiplayernorm-biasgelu</c> (<see cref="SkipLayerNormalizationFusion"/>,
    /// <see cref="BiasGeluFusion"/>). Run them with a <see cref="PassManager"/>; a dead-code pass afterwards is not
    /// needed, since the rules remove the <c>Constant</c> nodes they leave unread.
    /// </summary>
    /// <returns>New pass instances.</returns>
    public static IReadOnlyList<ModelPass> Create() =>
    [
        new RuleBasedPass("fuse-layernorm-gelu", PrimaryRules()),
        new RuleBasedPass("fuse-skiplayernorm-biasgelu", SecondaryRules()),
    ];
}
