using MLNetInference.Pipeline.Internal;
using MLNetInference.Pipeline.Scoring;

namespace Microsoft.ML;

/// <summary>Adds batched ONNX scoring to ML.NET's transforms catalog.</summary>
public static class OnnxBatchScoringCatalog
{
    /// <summary>Creates an estimator that scores with an ONNX model in mini-batches with dynamic lengths.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The model, the column mapping, the batch size and the session settings.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentException">No model is given, or a setting is out of range.</exception>
    public static OnnxBatchScoringEstimator ScoreOnnxBatched(this TransformsCatalog catalog, OnnxBatchScoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new OnnxBatchScoringEstimator(CatalogContext.Get(catalog), options);
    }

    /// <summary>Creates an estimator that scores with the ONNX model file in mini-batches, reading and writing columns named as the model's inputs and outputs.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">The <c>.onnx</c> file.</param>
    /// <param name="batchSize">The most rows per ONNX Runtime call.</param>
    /// <returns>The estimator.</returns>
    public static OnnxBatchScoringEstimator ScoreOnnxBatched(this TransformsCatalog catalog, string modelPath, int batchSize = 32)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return catalog.ScoreOnnxBatched(new OnnxBatchScoringOptions { ModelPath = modelPath, BatchSize = batchSize });
    }
}
