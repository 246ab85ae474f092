using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Fusion;
using MLNetInference.Optimizers.Passes.Rules;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Fp16;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Sensitivity;
using MLNetInference.Optimizers.Quantization.Static;

namespace MLNetInference.Optimizers.Recipes;

/// <summary>
/// A named optimization recipe: steps joined with <c>+</c>, for example <c>fuse+int8-dynamic</c>. Each step is a set of
/// passes; <see cref="CreatePasses"/> builds the pass manager that runs them to a fixpoint, handing each step the
/// settings of a <see cref="RecipeContext"/>.
/// </summary>
public sealed class OptimizationRecipe
{
    /// <summary>
    /// Graph cleanup and fusion: LayerNormalization, Gelu, Attention, BatchNormalization into Conv, MatMul + Add into
    /// Gemm; SkipLayerNormalization and BiasGelu only when <see cref="RecipeContext.FuseSkipLayerNormalizationAndBiasGelu"/> asks.
    /// </summary>
    public const string Fuse = "fuse";

    /// <summary>Dynamic INT8 quantization of weight MatMuls.</summary>
    public const string Int8Dynamic = "int8-dynamic";

    /// <summary>
    /// Dynamic INT8 quantization that measures each MatMul's quantization error on sample inputs and treats the
    /// <see cref="SensitiveDynamicInt8QuantizationPass.DefaultSensitiveCount"/> worst apart: their outlier activation
    /// channels are smoothed into the weights where that lowers the measured error, else they stay float. Closer to fp32
    /// in the worst case than <see cref="Int8Dynamic"/>, at about its speed.
    /// </summary>
    public const string Int8DynamicSensitive = "int8-dynamic-sensitive";

    /// <summary>Static INT8 quantization in QDQ format, calibrated on caller data.</summary>
    public const string Int8Static = "int8-static";

    /// <summary>FP16 conversion keeping float inputs and outputs.</summary>
    public const string Fp16 = "fp16";

    /// <summary>INT4 weight-only quantization (MatMulNBits).</summary>
    public const string Int4Weights = "int4-weights";

    // Each step builds its passes from the recipe's step names and the caller's settings.
    private static readonly Dictionary<string, Func<IReadOnlyList<string>, RecipeContext, IEnumerable<ModelPass>>> Steps = new(StringComparer.Ordinal)
    {
        // Attention and Gemm fusion hide MatMuls from INT4 weight quantization (MatMulNBits has no attention or Gemm
        // form), so a recipe with int4-weights fuses everything else only; int8-dynamic turns Attention into QAttention.
        // Static QDQ quantization has no quantized form of Attention either, so int8-static keeps the Q/K/V MatMuls
        // unfused and quantizes them. Before dynamic INT8, SkipLayerNormalization and BiasGelu are left out: the bias Adds
        // fold into DynamicQuantizeMatMul instead, and ORT's CPU Add + LayerNormalization and Gelu beat those two kernels
        // there (fuse+int8-dynamic on MiniLM went from 2.0x to 2.5-2.6x fp32 at seq 128, one thread).
        // SkipLayerNormalization and BiasGelu are left out on CPU unless the context asks for them: ORT's CPU kernels of
        // the two cost more than the Add + LayerNormalization and Gelu they replace (fuse on MiniLM fp32 ran at 0.93x
        // of ORT's own optimization of the original with them, see BENCHMARKS.md "fuse against ORT").
        [Fuse] = static (steps, context) => [new RemoveIdentityAndDropout(), new DeadCodeElimination(), new MakeBatchSymbolic(), new RuleBasedPass("fold-constant-shapes", [new ConstantShapeFoldingRule()]), .. FusionPasses.Create(includeAttention: !steps.Contains(Int4Weights) && !steps.Contains(Int8Static), includeGemm: !steps.Contains(Int4Weights), includeSkipLayerNormAndBiasGelu: context.FuseSkipLayerNormalizationAndBiasGelu && !steps.Contains(Int8Dynamic) && !steps.Contains(Int8DynamicSensitive))],
        [Int8Dynamic] = static (_, context) => context.IncludeQuantization
            ? [new QAttentionQuantizationPass(Int8(context)), new DynamicInt8QuantizationPass(Int8(context))]
            : [],
        [Int8DynamicSensitive] = static (_, context) => context.IncludeQuantization
            ? [new QAttentionQuantizationPass(Int8(context)), new SensitiveDynamicInt8QuantizationPass(options: new DynamicInt8Options().ExcludingNodes(context.KeepInFloat), treatment: SensitiveMatMulTreatment.SmoothActivations)]
            : [],
        [Int8Static] = static (_, context) => context.IncludeQuantization
            ? [new RuleBasedPass("fold-batchnorm", [new BatchNormIntoConvFusion()]), new StaticInt8QuantizationPass(context.Calibration?.Samples, (context.Calibration?.Options ?? new StaticInt8Options()).ExcludingNodes(context.KeepInFloat))]
            : [new RuleBasedPass("fold-batchnorm", [new BatchNormIntoConvFusion()])],
        [Fp16] = static (_, _) => [new Fp16ConversionPass()],
        [Int4Weights] = static (_, context) => context.IncludeQuantization
            ? [new Int4WeightQuantizationPass((context.Int4 ?? Int4Options.RecipeDefault).ExcludingNodes(context.KeepInFloat), context.Calibration?.Samples)]
            : [],
    };

    // The lowest mean cosine to the original each step may leave on generated sample inputs: float rewrites keep the
    // outputs (summation order aside), FP16 rounds them, the quantizers trade accuracy for speed.
    private static readonly Dictionary<string, double> StepTolerance = new(StringComparer.Ordinal)
    {
        [Fuse] = 0.9999,
        [Fp16] = 0.999,
        [Int8Dynamic] = 0.98,
        [Int8DynamicSensitive] = 0.98,
        [Int4Weights] = 0.97,
        [Int8Static] = 0.95,
    };

    private OptimizationRecipe(IReadOnlyList<string> steps)
    {
        StepNames = steps;
        MinMeanCosine = steps.Min(s => StepTolerance[s]);
    }

    /// <summary>
    /// Gets the recipe's tolerance: the lowest mean cosine to the original (per output, on sample inputs) that
    /// <see cref="ModelOptimizer"/> accepts, the loosest of its steps': <c>fuse</c> 0.9999, <c>fp16</c> 0.999,
    /// <c>int8-dynamic</c> and <c>int8-dynamic-sensitive</c> 0.98, <c>int4-weights</c> 0.97, <c>int8-static</c> 0.95.
    /// </summary>
    public double MinMeanCosine { get; }

    /// <summary>Gets every step name the recipe language knows.</summary>
    public static IReadOnlyList<string> KnownSteps { get; } = [Fuse, Int8Dynamic, Int8DynamicSensitive, Int8Static, Fp16, Int4Weights];

    /// <summary>Gets the recipe's steps, in order.</summary>
    public IReadOnlyList<string> StepNames { get; }

    /// <summary>Parses <c>step[+step...]</c>.</summary>
    /// <param name="text">The recipe, for example <c>fuse+int8-dynamic</c>.</param>
    /// <returns>The recipe.</returns>
    /// <exception cref="ArgumentException">A step is unknown or repeated; the message lists the known ones.</exception>
    public static OptimizationRecipe Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var steps = new List<string>();
        foreach (var part in text.Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Steps.ContainsKey(part))
            {
                throw new ArgumentException($"Unknown recipe step '{part}'. Known steps: {string.Join(", ", KnownSteps)}; combine them with '+'.", nameof(text));
            }

            if (steps.Contains(part))
            {
                throw new ArgumentException($"Recipe step '{part}' appears twice in '{text}'.", nameof(text));
            }

            steps.Add(part);
        }

        if (steps.Count == 0)
        {
            throw new ArgumentException($"The recipe '{text}' names no step. Known steps: {string.Join(", ", KnownSteps)}.", nameof(text));
        }

        return new OptimizationRecipe(steps);
    }

    /// <summary>Builds the pass manager for the recipe, each step taking its settings from the context.</summary>
    /// <param name="context">The settings (calibration data, INT8 and INT4 options, nodes to keep in float); <see cref="RecipeContext.Default"/> when <see langword="null"/>.</param>
    /// <returns>The passes, run to a fixpoint.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option in <paramref name="context"/> is out of range.</exception>
    public PassManager CreatePasses(RecipeContext? context = null)
    {
        context ??= RecipeContext.Default;
        var passes = new List<ModelPass>();
        foreach (var step in StepNames)
        {
            passes.AddRange(Steps[step](StepNames, context));
        }

        return new PassManager(passes, name: string.Join('+', StepNames));
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join('+', StepNames);

    private static DynamicInt8Options Int8(RecipeContext context) => (context.Int8 ?? new DynamicInt8Options()).ExcludingNodes(context.KeepInFloat);
}
