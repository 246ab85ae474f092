using MLNetInference.Pipeline.Scoring;

namespace MLNetInference.Serving;

/// <summary>Adds a model chosen by the tuner (its <c>tuned.json</c>) to a prediction engine pool.</summary>
public static class TunedModelPoolBuilderExtensions
{
    /// <summary>
    /// Serves the tuned model described by <c>tuned.json</c> in <paramref name="tunedPath"/> under a name, with the
    /// session and batching settings the tuner chose for it.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="tunedPath">The tuner's output folder, or its <c>tuned.json</c>.</param>
    /// <param name="configure">Maps columns to model inputs and outputs (see <see cref="OnnxBatchScoringOptions"/>); optional.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="FileNotFoundException">The description or its model file is missing.</exception>
    /// <exception cref="InvalidDataException">The description is not valid.</exception>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromTunedModel<TData, TPrediction>(
        this IPredictionEnginePoolBuilder<TData, TPrediction> builder,
        string modelName,
        string tunedPath,
        Action<OnnxBatchScoringOptions>? configure = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentException.ThrowIfNullOrEmpty(tunedPath);
        var description = TunedModelDescription.Load(tunedPath);
        return builder
            .FromOnnxFile(modelName, description.ModelPath, o =>
            {
                o.Session.GraphOptimizationLevel = description.GraphOptimizationLevel;
                configure?.Invoke(o);
            })
            .WithDynamicBatching(modelName, description.ApplyTo);
    }
}
