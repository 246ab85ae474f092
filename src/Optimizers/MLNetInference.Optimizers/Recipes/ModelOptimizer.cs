using MLNetInference.Core.Onnx;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Recipes;

/// <summary>Applies a recipe to a model and verifies the result against the original: ModelProto → passes (fixpoint) → verify → bytes.</summary>
public static class ModelOptimizer
{
    /// <summary>Optimizes a model.</summary>
    /// <param name="model">The serialized original model.</param>
    /// <param name="recipe">The recipe.</param>
    /// <param name="samples">Sample-input settings for the accuracy check; defaults when <see langword="null"/>.</param>
    /// <returns>The optimized model and its report.</returns>
    /// <exception cref="OnnxFormatException">The model is malformed.</exception>
    /// <exception cref="PassFailedException">A pass failed; the message names it.</exception>
    /// <exception cref="MLNetInference.Core.Runtime.OnnxModelLoadException">ONNX Runtime cannot load the original (or the optimized) model to verify it.</exception>
    /// <exception cref="NotSupportedException">An input of the model has an element type or size the sample inputs of the check cannot fill.</exception>
    public static OptimizationResult Optimize(byte[] model, OptimizationRecipe recipe, SampleInputOptions? samples = null) =>
        Optimize(model, recipe, samples, calibration: null);

    /// <summary>Optimizes a model, calibrating the <c>int8-static</c> step on the caller's data.</summary>
    /// <param name="model">The serialized original model.</param>
    /// <param name="recipe">The recipe.</param>
    /// <param name="samples">Sample-input settings for the accuracy check; defaults when <see langword="null"/>.</param>
    /// <param name="calibration">
    /// The data and settings of <c>int8-static</c>. When <see langword="null"/> and the recipe has <c>int8-static</c>, the
    /// step calibrates on generated inputs and <see cref="OptimizationResult.Warnings"/> says so.
    /// </param>
    /// <returns>The optimized model and its report.</returns>
    /// <exception cref="OnnxFormatException">The model is malformed.</exception>
    /// <exception cref="PassFailedException">A pass failed (calibration included); the message names it.</exception>
    /// <exception cref="MLNetInference.Core.Runtime.OnnxModelLoadException">ONNX Runtime cannot load the original (or the optimized) model to verify it.</exception>
    /// <exception cref="NotSupportedException">An input of the model has an element type or size the sample inputs of the check cannot fill.</exception>
    public static OptimizationResult Optimize(byte[] model, OptimizationRecipe recipe, SampleInputOptions? samples, CalibrationData? calibration) =>
        Optimize(model, recipe, new RecipeContext { Samples = samples, Calibration = calibration });

    /// <summary>Optimizes a model, each recipe step taking its settings from a context.</summary>
    /// <param name="model">The serialized original model.</param>
    /// <param name="recipe">The recipe.</param>
    /// <param name="context">
    /// The settings: calibration data for <c>int8-static</c> (generated inputs, with a warning in
    /// <see cref="OptimizationResult.Warnings"/>, when absent), INT8 and INT4 options, nodes to keep in float, and the
    /// sample inputs of the accuracy check.
    /// </param>
    /// <returns>The optimized model and its report.</returns>
    /// <exception cref="OnnxFormatException">The model is malformed.</exception>
    /// <exception cref="PassFailedException">A pass failed (calibration included); the message names it.</exception>
    /// <exception cref="MLNetInference.Core.Runtime.OnnxModelLoadException">ONNX Runtime cannot load the original (or the optimized) model to verify it.</exception>
    /// <exception cref="NotSupportedException">An input of the model has an element type or size the sample inputs of the check cannot fill.</exception>
    public static OptimizationResult Optimize(byte[] model, OptimizationRecipe recipe, RecipeContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(context);
        var proto = OnnxModelIO.Parse(model);
        ModelChecks.Validate(proto);
        var before = proto.Graph.Node.Count;
        var passes = recipe.CreatePasses(context);
        passes.Run(proto);
        var optimized = OnnxModelIO.ToBytes(proto);
        var verification = ModelVerifier.Compare(model, optimized, context.Samples);
        var warnings = passes.Passes.OfType<StaticInt8QuantizationPass>().SelectMany(p => p.LastSummary?.Warnings ?? []).ToArray();
        return new OptimizationResult(recipe.ToString(), optimized, before, proto.Graph.Node.Count, model.LongLength, optimized.LongLength, passes.LastReport, verification)
        {
            Warnings = warnings,
        };
    }
}
