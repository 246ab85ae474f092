using MLNetInference.Core;
using MLNetInference.Core.Runtime;
using Microsoft.ML;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Pipeline.Scoring;

/// <summary>
/// Scores data with an ONNX model in mini-batches with dynamic lengths: each batch is padded only to its own
/// longest row, rows are grouped by length, and ONNX Runtime runs once per batch.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Estimator Characteristics
/// |  |  |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No |
/// | Input column data type | Vector (known or variable size) or scalar of Single, Int64, Int32 or Double, matching each model input |
/// | Output column data type | Vector of the model output's element type; an axis that follows a variable input axis has unknown size |
/// | Exportable to ONNX | No |
///
/// Created by <see cref="OnnxBatchScoringCatalog.ScoreOnnxBatched(TransformsCatalog, OnnxBatchScoringOptions)"/>.
/// The transformer also works row by row inside ML.NET's <c>PredictionEngine</c>. Saved with
/// <c>mlContext.Model.Save</c>, it writes an equivalent stock ML.NET <c>OnnxTransformer</c> (variable axes pinned to
/// <see cref="OnnxBatchScoringOptions.StockSequenceLength"/>); <c>SaveWithBatching</c> adds our own entries, from
/// which <c>LoadWithBatching</c> rebuilds the batched transformer.
/// ]]></format>
/// </remarks>
public sealed class OnnxBatchScoringEstimator : IEstimator<OnnxBatchScoringTransformer>
{
    private readonly MLContext _mlContext;
    private readonly OnnxBatchScoringOptions _options;
    private ModelMetadata? _metadata;

    internal OnnxBatchScoringEstimator(MLContext mlContext, OnnxBatchScoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _mlContext = mlContext;
        _options = options.Clone();
    }

    /// <summary>Loads the model and binds it to the input data's schema.</summary>
    /// <param name="input">The data to score later; only its schema is read.</param>
    /// <returns>The transformer, which owns the model session.</returns>
    /// <exception cref="MLNetInference.Core.Runtime.OnnxModelLoadException">The model cannot be loaded.</exception>
    /// <exception cref="InvalidInputException">A column is missing or has the wrong type or size; the message names it.</exception>
    /// <exception cref="Optimizers.PassFailedException">The recipe's optimization failed; the message names the pass.</exception>
    public OnnxBatchScoringTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = _options.Clone();
        OptimizationResult? optimization = null;
        if (!string.IsNullOrWhiteSpace(options.Recipe))
        {
            // Optimize once, at fit time; the transformer scores with, and saves, the optimized model.
            var original = options.ModelBytes ?? File.ReadAllBytes(options.ModelPath!);
            // int8-static calibrates on the rows being fitted (up to CalibrationRows of them, streaming).
            var recipe = OptimizationRecipe.Parse(options.Recipe);
            var calibration = recipe.StepNames.Contains(OptimizationRecipe.Int8Static)
                ? new CalibrationData(DataViewCalibration.Read(input, original, options.InputColumns, options.CalibrationRows), new StaticInt8Options { MaxCalibrationSamples = options.CalibrationRows })
                : null;
            optimization = ModelOptimizer.Optimize(original, recipe, null, calibration);
            options.ModelBytes = optimization.Model;
            options.ModelPath = null;
            options.Recipe = null;
        }

        var transformer = new OnnxBatchScoringTransformer(_mlContext, options) { Optimization = optimization };
        try
        {
            transformer.GetOutputSchema(input.Schema);
            return transformer;
        }
        catch
        {
            transformer.Dispose();
            throw;
        }
    }

    /// <summary>Checks the input schema and describes the columns the transformer adds.</summary>
    /// <param name="inputSchema">The input schema shape.</param>
    /// <returns>The output schema shape.</returns>
    /// <exception cref="InvalidInputException">A column is missing or has the wrong type or size.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        _metadata ??= ReadMetadata();
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var input in _metadata.Inputs)
        {
            var name = _options.InputColumns.TryGetValue(input.Name, out var mapped) ? mapped : input.Name;
            if (!columns.ContainsKey(name))
            {
                throw new InvalidInputException(name, $"Column '{name}', which feeds model input '{input.Name}' ({input}), is not in the input schema.");
            }
        }

        // SchemaShape.Column has no public constructor: describe the added columns through a schema.
        var added = new Microsoft.ML.DataViewSchema.Builder();
        foreach (var output in _metadata.Outputs)
        {
            string column;
            if (_options.OutputColumns.Count == 0)
            {
                column = output.Name;
            }
            else if (!_options.OutputColumns.TryGetValue(output.Name, out column!))
            {
                continue;
            }

            added.AddColumn(column, Internal.ScoringBinding.ToColumnType(output));
        }

        var result = columns;
        foreach (var column in Internal.SchemaShapes.FromSchema(added.ToSchema()))
        {
            result[column.Name] = column;
        }

        return new SchemaShape(result.Values);
    }

    /// <summary>Loads the model once to read its inputs and outputs, and releases the session: only the metadata is kept.</summary>
    private ModelMetadata ReadMetadata()
    {
        using var probe = new OnnxBatchScoringTransformer(_mlContext, _options.Clone());
        return probe.Model.Metadata;
    }
}
