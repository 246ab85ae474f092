using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Recipes;

/// <summary>
/// The settings a recipe's steps take when they build their passes (<see cref="OptimizationRecipe.CreatePasses(RecipeContext?)"/>):
/// calibration data, the INT8 and INT4 options, the nodes to keep in float, and the sample inputs of the accuracy check.
/// </summary>
/// <remarks>
/// Every setting is optional; a step whose setting is <see langword="null"/> builds its pass with the defaults it
/// documents. <see cref="Default"/> is the context with no settings.
/// </remarks>
public sealed class RecipeContext
{
    /// <summary>Gets the context with no settings: every step uses its defaults.</summary>
    public static RecipeContext Default { get; } = new();

    /// <summary>
    /// Gets what <c>int8-static</c> calibrates on, and its settings. When <see langword="null"/> the step calibrates on
    /// generated inputs with the default <see cref="StaticInt8Options"/>, and its summary warns about it.
    /// </summary>
    public CalibrationData? Calibration { get; init; }

    /// <summary>
    /// Gets the settings of the dynamic INT8 steps (<c>int8-dynamic</c>, and the fused attention of
    /// <c>int8-dynamic-sensitive</c>). When <see langword="null"/> the defaults of <see cref="DynamicInt8Options"/> apply.
    /// </summary>
    public DynamicInt8Options? Int8 { get; init; }

    /// <summary>
    /// Gets the settings of <c>int4-weights</c>. When <see langword="null"/> the step uses
    /// <see cref="Int4Options.RecipeDefault"/>. The step's sensitivity measurement
    /// (<see cref="Int4Options.KeepMostSensitiveInFloat"/>) runs on the first samples of <see cref="Calibration"/> when
    /// it is set.
    /// </summary>
    public Int4Options? Int4 { get; init; }

    /// <summary>
    /// Gets the names of nodes every quantizing step leaves in float, on top of the exclusions of the step's own
    /// options. Empty by default.
    /// </summary>
    public IReadOnlyCollection<string> KeepInFloat { get; init; } = [];

    /// <summary>
    /// Gets the sample-input settings of the accuracy check that <see cref="ModelOptimizer"/> runs after the passes;
    /// defaults when <see langword="null"/>.
    /// </summary>
    public SampleInputOptions? Samples { get; init; }

    /// <summary>
    /// Gets a value indicating whether <c>fuse</c> also folds the residual Add into <c>SkipLayerNormalization</c> and the
    /// bias Add into <c>BiasGelu</c> (never before dynamic INT8). Default <see langword="false"/>: on CPU, ONNX Runtime's
    /// kernels of the two are slower than the Add + LayerNormalization and Gelu they replace (MiniLM fp32: <c>fuse</c>
    /// with them ran at 0.93x of ONNX Runtime's own optimization of the original). Turn it on for GPU execution
    /// providers, whose fused kernels want that form.
    /// </summary>
    public bool FuseSkipLayerNormalizationAndBiasGelu { get; init; }

    /// <summary>
    /// Gets a value indicating whether the quantizing steps build their quantization passes (the default). When
    /// <see langword="false"/> a recipe builds only its graph rewrites, for example to list the nodes its quantizer
    /// would see.
    /// </summary>
    public bool IncludeQuantization { get; init; } = true;
}
