using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// The fusion passes, in the order they should run: BatchNormalization into Conv, LayerNormalization, GELU and attention
/// first, then the fusions that build on them (SkipLayerNormalization, BiasGelu).
/// </summary>
public static class FusionPasses
{
    /// <summary>
    /// Gets the rules of the first stage: decomposed patterns into <c>LayerNormalization</c>, <c>Gelu</c>, <c>FastGelu</c> and
    /// <c>Attention</c>, and <c>BatchNormalization</c> folded into the <c>Conv</c> before it
    /// (<see cref="BatchNormIntoConvFusion"/>).
    /// </summary>
    /// <param name="includeAttention">Whether to include <see cref="AttentionFusion"/>.</param>
    /// <returns>New rule instances.</returns>
    public static IReadOnlyList<RewriteRule> PrimaryRules(bool includeAttention = true) =>
        includeAttention
            ? [new LayerNormalizationFusion(), new GeluFusion(), new FastGeluFusion(), new AttentionFusion(), new BatchNormIntoConvFusion()]
            : [new LayerNormalizationFusion(), new GeluFusion(), new FastGeluFusion(), new BatchNormIntoConvFusion()];

    /// <summary>Gets the rules of the second stage, which fold neighbours into the first stage's nodes.</summary>
    /// <returns>New rule instances.</returns>
    public static IReadOnlyList<RewriteRule> SecondaryRules() => [new SkipLayerNormalizationFusion(), new BiasGeluFusion()];

    /// <summary>
    /// Creates the fusion passes in order: <c>fuse-layernorm-gelu-attention</c> (<see cref="LayerNormalizationFusion"/>,
    /// <see cref="GeluFusion"/>, and <see cref="AttentionFusion"/> unless left out), then <c>fuse-skiplayernorm-biasgelu</c> (<see cref="SkipLayerNormalizationFusion"/>,
    /// <see cref="BiasGeluFusion"/>, unless left out), then <c>fuse-matmul-add-gemm</c> (<see cref="MatMulAddToGemmFusion"/>, last so that
    /// the fusions before it read their MatMul + Add first). Run them with a <see cref="PassManager"/>; a dead-code pass afterwards is not
    /// needed, since the rules remove the nodes and initializers they leave unread.
    /// </summary>
    /// <param name="includeAttention">Whether to fuse attention into <c>com.microsoft</c> <c>Attention</c>.</param>
    /// <param name="includeGemm">Whether to fuse 2-D MatMul + bias Add into <c>Gemm</c> (leave it out before a
    /// quantizer that rewrites MatMul only, such as INT4 weight quantization).</param>
    /// <param name="includeSkipLayerNormAndBiasGelu">Whether to run the second stage, which folds the residual Add and
    /// the projection bias into <c>SkipLayerNormalization</c> and the bias Add into <c>BiasGelu</c>. Leave it out before
    /// dynamic INT8 quantization: the bias Adds then fold into <c>DynamicQuantizeMatMul</c> instead, and ONNX Runtime's
    /// CPU <c>SkipLayerNormalization</c> and <c>BiasGelu</c> kernels cost more than <c>Add</c> + <c>LayerNormalization</c>
    /// and <c>Gelu</c> there (MiniLM, seq 128, one thread: about 20 % of the whole model's time).</param>
    /// <returns>New pass instances.</returns>
    public static IReadOnlyList<ModelPass> Create(bool includeAttention = true, bool includeGemm = true, bool includeSkipLayerNormAndBiasGelu = true)
    {
        var passes = new List<ModelPass> { new RuleBasedPass("fuse-layernorm-gelu-attention", PrimaryRules(includeAttention)) };
        if (includeSkipLayerNormAndBiasGelu)
        {
            passes.Add(new RuleBasedPass("fuse-skiplayernorm-biasgelu", SecondaryRules()));
        }

        if (includeGemm)
        {
            passes.Add(new RuleBasedPass("fuse-matmul-add-gemm", [new MatMulAddToGemmFusion()]));
        }

        return passes;
    }
}
