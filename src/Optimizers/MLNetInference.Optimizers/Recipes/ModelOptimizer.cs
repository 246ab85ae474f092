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
    /// <returns>
    /// The optimized model and its report; or the original model, unchanged, with
    /// <see cref="OptimizationResult.UnchangedReason"/> saying why (its <see cref="OptimizationResult.Verification"/>
    /// then compares the original with itself, or no sample when the model cannot be run).
    /// </returns>
    /// <exception cref="OnnxFormatException">The model is malformed.</exception>
    /// <exception cref="PassFailedException">A pass failed (calibration included); the message names it.</exception>
    /// <exception cref="MLNetInference.Core.Runtime.OnnxModelLoadException">ONNX Runtime cannot load the original (or the optimized) model to verify it.</exception>
    /// <exception cref="NotSupportedException">An input of the model has an element type or size the sample inputs of the check cannot fill.</exception>
    /// <remarks>
    /// <para>
    /// The safety net: after each pass that changed the model, the graph is checked structurally (well-formed, acyclic,
    /// and every node the optimizer knows within its op's schema at the model's opset, see
    /// <see cref="ModelChecks.FindSchemaProblems"/>). A pass that fails that check, or throws, is rolled back and left
    /// out, and the recipe goes on (<see cref="OptimizationResult.RolledBack"/> names it).
    /// </para>
    /// <para>
    /// The running check is per recipe, not per pass: ONNX Runtime loads the result and its outputs are compared with
    /// the original's on the sample inputs, against <see cref="OptimizationRecipe.MinMeanCosine"/>. Per pass it would
    /// cost two sessions after each of the dozens of pass runs a fixpoint takes (seconds on MiniLM); per recipe it is the
    /// one comparison the report needs anyway. Only when that check fails is the recipe run again with the running check
    /// after each changing pass, which finds the pass at fault, rolls it back and goes on. When even then the result
    /// does not pass, the original model comes back unchanged with the reason.
    /// </para>
    /// <para>
    /// A model whose weights live in side files (external data) cannot be optimized from its bytes alone: it comes back
    /// unchanged with the reason. Load it with <see cref="OnnxModelIO.Load(string, bool)"/> first.
    /// </para>
    /// </remarks>
    public static OptimizationResult Optimize(byte[] model, OptimizationRecipe recipe, RecipeContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(context);
        var proto = OnnxModelIO.Parse(model);
        ModelChecks.Validate(proto);
        var before = proto.Graph.Node.Count;
        if (proto.Graph.Initializer.Any(t => t.DataLocation == Core.Onnx.Proto.TensorProto.Types.DataLocation.External))
        {
            return Unchanged(model, recipe, before, null, [], "the model's weights live in side files (external data), which its bytes alone do not carry; load it from its path (OnnxModelIO.Load) and optimize those bytes");
        }

        IReadOnlyList<IReadOnlyDictionary<string, Core.Runtime.SampleTensor>> samples;
        try
        {
            samples = SampleInputGenerator.Generate(model, context.Samples);
        }
        catch (NotSupportedException ex)
        {
            return Unchanged(model, recipe, before, null, [], $"no sample inputs can be made to check the result: {ex.Message}");
        }

        var passes = recipe.CreatePasses(context);
        passes.RollBackFailedPasses = true;
        var changed = passes.Run(proto);
        var optimized = OnnxModelIO.ToBytes(proto);
        var judged = changed ? Judge(model, optimized, samples, recipe) : (Report: null, Problem: null);
        if (judged.Problem is not null)
        {
            if (Judge(model, model, samples, recipe) is { Problem: { } original })
            {
                return Unchanged(model, recipe, before, passes.LastReport, passes.LastReport?.RolledBack ?? [], $"the original model cannot be checked: {original}");
            }

            // Find the pass at fault: the same recipe again, with the running check after each pass that changes the model.
            proto = OnnxModelIO.Parse(model);
            passes = recipe.CreatePasses(context);
            passes.RollBackFailedPasses = true;
            passes.RunningCheck = candidate => Judge(model, OnnxModelIO.ToBytes(candidate), samples, recipe).Problem;
            changed = passes.Run(proto);
            optimized = OnnxModelIO.ToBytes(proto);
            var first = judged.Problem;
            judged = changed ? Judge(model, optimized, samples, recipe) : (Report: null, Problem: null);
            if (judged.Problem is not null)
            {
                return Unchanged(model, recipe, before, passes.LastReport, passes.LastReport?.RolledBack ?? [], $"the optimized model failed the running check ({first}), and so did it with each failing pass rolled back ({judged.Problem})");
            }
        }

        var rolledBack = passes.LastReport?.RolledBack ?? [];
        var warnings = passes.Passes.OfType<StaticInt8QuantizationPass>().SelectMany(p => p.LastSummary?.Warnings ?? []).ToArray();
        if (!changed)
        {
            return Unchanged(model, recipe, before, passes.LastReport, rolledBack, rolledBack.Count > 0
                ? $"every change was rolled back: {string.Join("; ", rolledBack)}"
                : "no pass of the recipe found anything to change in this model" + SkippedRulesSuffix(passes.LastReport)) with { Warnings = warnings, Verification = Judge(model, model, samples, recipe).Report ?? new VerificationReport(0, []) };
        }

        return new OptimizationResult(recipe.ToString(), optimized, before, proto.Graph.Node.Count, model.LongLength, optimized.LongLength, passes.LastReport, judged.Report!)
        {
            Warnings = warnings,
            RolledBack = rolledBack,
        };
    }

    /// <summary>Names the rules the model's opsets ruled out, for an unchanged model's reason.</summary>
    private static string SkippedRulesSuffix(PassManagerReport? report) =>
        report is { SkippedRules.Count: > 0 } r ? "; rules its opsets rule out: " + string.Join("; ", r.SkippedRules.Select(s => $"{s.RuleName} ({s.Reason})")) : string.Empty;

    private static OptimizationResult Unchanged(byte[] model, OptimizationRecipe recipe, int nodes, PassManagerReport? report, IReadOnlyList<PassRollback> rolledBack, string reason) =>
        new(recipe.ToString(), model, nodes, nodes, model.LongLength, model.LongLength, report, new VerificationReport(0, []))
        {
            RolledBack = rolledBack,
            UnchangedReason = reason,
        };

    /// <summary>Runs both models on the samples and says what is wrong, if anything: ONNX Runtime refused one, an output is missing or not finite, or the cosine is under the recipe's tolerance.</summary>
    private static (VerificationReport? Report, string? Problem) Judge(
        byte[] original,
        byte[] candidate,
        IReadOnlyList<IReadOnlyDictionary<string, Core.Runtime.SampleTensor>> samples,
        OptimizationRecipe recipe)
    {
        VerificationReport report;
        try
        {
            report = ModelVerifier.Compare(original, candidate, samples);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return (null, $"ONNX Runtime could not load or run it: {ex.Message}");
        }

        foreach (var output in report.Outputs)
        {
            if (output.Problem is not null)
            {
                return (report, $"output '{output.Name}': {output.Problem}");
            }

            if (double.IsNaN(output.MeanCosine) || double.IsNaN(output.MaxAbsDiff) || double.IsInfinity(output.MaxAbsDiff))
            {
                return (report, $"output '{output.Name}' is not finite");
            }

            if (output.MeanCosine < recipe.MinMeanCosine)
            {
                return (report, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"output '{output.Name}' has mean cosine {output.MeanCosine:F5} to the original, under the recipe's {recipe.MinMeanCosine:F4}"));
            }
        }

        return (report, null);
    }
}
