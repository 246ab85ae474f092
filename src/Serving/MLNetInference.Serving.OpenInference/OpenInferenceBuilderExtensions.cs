using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Serving.OpenInference.Internal;
using MLNetInference.Serving.Repository;

namespace MLNetInference.Serving.OpenInference;

/// <summary>Adds models to the Open Inference Protocol server.</summary>
public static class OpenInferenceBuilderExtensions
{
    /// <summary>
    /// Serves a raw <c>.onnx</c> model by its tensor names. Concurrent requests join one cross-request batcher (the
    /// pool's <see cref="RowBatcher{TResult}"/>): a request of N rows is N rows of it. Variable axes show as -1 in
    /// its metadata, the batch axis first.
    /// </summary>
    /// <param name="builder">The server builder.</param>
    /// <param name="name">The model name in the protocol's URLs.</param>
    /// <param name="onnxPath">The <c>.onnx</c> file.</param>
    /// <param name="configureBatching">Sets the batching settings (batch size, delay, queue, workers, devices); optional.</param>
    /// <param name="version">The version the model answers as. Default: <c>1</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> or <paramref name="onnxPath"/> is empty.</exception>
    public static IOpenInferenceBuilder AddOnnxModel(this IOpenInferenceBuilder builder, string name, string onnxPath, Action<DynamicBatchingOptions>? configureBatching = null, string version = "1")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        ArgumentException.ThrowIfNullOrEmpty(version);
        builder.Services.Configure<OpenInferenceRegistrations>(r => r.Sources.Add(new OnnxModelSource(name, onnxPath, version, configureBatching)));
        return builder;
    }

    /// <summary>
    /// Serves every model of a Triton-layout model repository (<see cref="ModelRepository"/>) by its tensor names, as
    /// <see cref="AddOnnxModel"/> does: the latest version of each, with the batching and instances of its
    /// <c>config.pbtxt</c> (<see cref="ModelRepositoryEntry.ApplyTo(DynamicBatchingOptions)"/>). The same folder runs in Triton.
    /// </summary>
    /// <param name="builder">The server builder.</param>
    /// <param name="repositoryPath">The repository folder.</param>
    /// <returns>The builder.</returns>
    /// <remarks>The configurations are read now, so a malformed one fails here, before the server starts.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">The repository does not exist.</exception>
    /// <exception cref="FileNotFoundException">A model folder has no configuration or no version with a model file.</exception>
    /// <exception cref="ModelConfigException">A configuration is malformed; the message names the file and line.</exception>
    public static IOpenInferenceBuilder AddModelRepository(this IOpenInferenceBuilder builder, string repositoryPath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(repositoryPath);
        foreach (var entry in ModelRepository.Load(repositoryPath))
        {
            builder.AddOnnxModel(entry.Name, entry.ModelPath, entry.ApplyTo, entry.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return builder;
    }

    /// <summary>
    /// Serves every model of a registered <see cref="PredictionEnginePool{TData, TPrediction}"/> by its columns: each
    /// public member of <typeparamref name="TData"/> is an input (a string member a BYTES tensor of shape [N] or
    /// [N, 1], an array member a tensor of shape [N, size]), each of <typeparamref name="TPrediction"/> an output.
    /// The pool's default model is served as <c>default</c>.
    /// </summary>
    /// <typeparam name="TData">The pool's input row type.</typeparam>
    /// <typeparam name="TPrediction">The pool's prediction row type.</typeparam>
    /// <param name="builder">The server builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IOpenInferenceBuilder AddPredictionEnginePool<TData, TPrediction>(this IOpenInferenceBuilder builder)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<OpenInferenceRegistrations>(r => r.Sources.Add(new PoolModelSource<TData, TPrediction>()));
        return builder;
    }
}
