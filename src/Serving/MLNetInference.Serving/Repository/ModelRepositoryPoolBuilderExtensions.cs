using MLNetInference.Pipeline.Scoring;

namespace MLNetInference.Serving.Repository;

/// <summary>Adds the models of a Triton-layout model repository (<see cref="ModelRepository"/>) to a prediction engine pool.</summary>
public static class ModelRepositoryPoolBuilderExtensions
{
    /// <summary>
    /// Serves every model of a repository under its folder name: the latest numeric version of each, with the batching
    /// and instances of its <c>config.pbtxt</c> (see <see cref="ModelRepositoryEntry.ApplyTo(DynamicBatchingOptions)"/>).
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="repositoryPath">The repository folder.</param>
    /// <param name="configure">Maps columns to each model's inputs and outputs (see <see cref="OnnxBatchScoringOptions"/>); optional.</param>
    /// <returns>The builder.</returns>
    /// <remarks>The configurations are read now, so a malformed one fails here, before the pool starts.</remarks>
    /// <exception cref="DirectoryNotFoundException">The repository does not exist.</exception>
    /// <exception cref="FileNotFoundException">A model folder has no configuration or no version with a model file.</exception>
    /// <exception cref="ModelConfigException">A configuration is malformed; the message names the file and line.</exception>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromModelRepository<TData, TPrediction>(
        this IPredictionEnginePoolBuilder<TData, TPrediction> builder,
        string repositoryPath,
        Action<ModelRepositoryEntry, OnnxBatchScoringOptions>? configure = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(repositoryPath);
        foreach (var entry in ModelRepository.Load(repositoryPath))
        {
            Add(builder, entry, configure);
        }

        return builder;
    }

    /// <summary>Serves one model of a repository under its folder name, with the batching and instances of its <c>config.pbtxt</c>.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model's folder name, which is also the name it is served under.</param>
    /// <param name="repositoryPath">The repository folder.</param>
    /// <param name="configure">Maps columns to the model's inputs and outputs (see <see cref="OnnxBatchScoringOptions"/>); optional.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="DirectoryNotFoundException">The model folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The model folder has no configuration or no version with a model file.</exception>
    /// <exception cref="ModelConfigException">The configuration is malformed; the message names the file and line.</exception>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromModelRepository<TData, TPrediction>(
        this IPredictionEnginePoolBuilder<TData, TPrediction> builder,
        string modelName,
        string repositoryPath,
        Action<ModelRepositoryEntry, OnnxBatchScoringOptions>? configure = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        ArgumentException.ThrowIfNullOrEmpty(repositoryPath);
        Add(builder, ModelRepository.LoadModel(repositoryPath, modelName), configure);
        return builder;
    }

    private static void Add<TData, TPrediction>(IPredictionEnginePoolBuilder<TData, TPrediction> builder, ModelRepositoryEntry entry, Action<ModelRepositoryEntry, OnnxBatchScoringOptions>? configure)
        where TData : class
        where TPrediction : class, new()
    {
        builder
            .FromOnnxFile(entry.Name, entry.ModelPath, configure is null ? null : o => configure(entry, o))
            .WithDynamicBatching(entry.Name, entry.ApplyTo);
    }
}
