using MLNetInference.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Serving;

/// <summary>
/// Adds models and settings to a prediction engine pool. Settings made after a <c>From...</c> call apply to that model
/// only; settings made on the builder <c>AddPredictionEnginePool</c> returns apply to every model, before the
/// per-model ones.
/// </summary>
public static partial class PredictionEnginePoolBuilderExtensions
{
    /// <summary>Serves an ML.NET model zip (stock or MLNetInference's) as the default model.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="filePath">The model zip.</param>
    /// <param name="watchForChanges">Whether a change to the file reloads the model in the background (default
    /// <see langword="true"/>, as in Microsoft.Extensions.ML; see <see cref="FileModelLoader"/> for polling).</param>
    /// <returns>The builder for the default model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromFile<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string filePath, bool watchForChanges = true)
        where TData : class
        where TPrediction : class, new()
        => builder.FromFile(Options.DefaultName, filePath, watchForChanges);

    /// <summary>Serves an ML.NET model zip (stock or MLNetInference's) under a name.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="filePath">The model zip.</param>
    /// <param name="watchForChanges">Whether a change to the file reloads the model in the background (default
    /// <see langword="true"/>, as in Microsoft.Extensions.ML; see <see cref="FileModelLoader"/> for polling).</param>
    /// <returns>The builder for this model: settings made through it apply to this model only.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromFile<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string filePath, bool watchForChanges = true)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        return builder.AddSource(modelName, new ModelSource(services => new FileModelLoader(filePath, services.GetService<TimeProvider>()) { WatchForChanges = watchForChanges }, null, isRawOnnx: false));
    }

    /// <summary>
    /// Serves a raw <c>.onnx</c> file under a name. By default each model input reads the <typeparamref name="TData"/>
    /// member of the same name and each output fills the <typeparamref name="TPrediction"/> member of the same name;
    /// <paramref name="configure"/> maps other names (<see cref="OnnxBatchScoringOptions.InputColumns"/>, <see cref="OnnxBatchScoringOptions.OutputColumns"/>).
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="onnxPath">The <c>.onnx</c> file.</param>
    /// <param name="configure">Sets the column mapping and scoring settings; optional.</param>
    /// <param name="watchForChanges">Whether a change to the file reloads the model in the background (default
    /// <see langword="true"/>, as for <c>FromFile</c>).</param>
    /// <returns>The builder for this model: settings made through it apply to this model only.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromOnnxFile<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string onnxPath, Action<OnnxBatchScoringOptions>? configure = null, bool watchForChanges = true)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        return builder.AddSource(modelName, new ModelSource(services => new FileModelLoader(onnxPath, services.GetService<TimeProvider>()) { WatchForChanges = watchForChanges }, configure, isRawOnnx: true));
    }

    /// <summary>
    /// Serves a model whose batches run on executors of the caller's (for example a remote Open Inference Protocol
    /// server): the pool forms the batches as for any model and hands each to one of the model's workers.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="createExecutor">Makes one executor per worker (<see cref="DynamicBatchingOptions.WorkersPerDevice"/>,
    /// one per core by default), given the pool's service provider.</param>
    /// <returns>The builder for this model.</returns>
    /// <remarks>Such a model has no ML.NET model: <c>GetModel</c> throws <see cref="NotSupportedException"/> for it.</remarks>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromExecutor<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, Func<IServiceProvider, IPredictionBatchExecutor<TData, TPrediction>> createExecutor)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(createExecutor);
        return builder.AddSource(modelName, new ModelSource(sp => new ExecutorModelLoader<TData, TPrediction>(createExecutor, sp), null, isRawOnnx: false));
    }

    /// <summary>
    /// Hands a model's requests to another model of the pool when its queue is full, instead of rejecting them with
    /// <see cref="QueueFullException"/>: typically a local model overflowing to a remote one. The counter
    /// <see cref="PoolMetrics.OverflowedRequestsName"/> counts the requests handed over, by model and target.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model whose full queue overflows.</param>
    /// <param name="overflowModelName">The model that takes the overflow; its own full queue rejects as usual.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> WithOverflow<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string overflowModelName)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(overflowModelName);
        builder.Services.Configure<PoolRegistrations<TData, TPrediction>>(r => r.Overflow[modelName] = overflowModelName);
        return builder;
    }

    /// <summary>
    /// Sets the dynamic batching settings of the builder's model (after <c>FromFile("a", ...)</c>: model "a" only), or of
    /// every model on the builder <c>AddPredictionEnginePool</c> returns.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    /// <remarks>Settings for every model run first, then the model's own, in the order they were added.</remarks>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> WithDynamicBatching<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, Action<DynamicBatchingOptions> configure)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        if (builder.ModelName is { } modelName)
        {
            return builder.WithDynamicBatching(modelName, configure);
        }

        builder.Services.Configure<PoolRegistrations<TData, TPrediction>>(r => r.SharedBatching.Add(configure));
        return builder;
    }

    /// <summary>Sets the dynamic batching settings of one model, after the pool-wide ones.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> WithDynamicBatching<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, Action<DynamicBatchingOptions> configure)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure<PoolRegistrations<TData, TPrediction>>(r =>
        {
            if (!r.ModelBatching.TryGetValue(modelName, out var list))
            {
                r.ModelBatching[modelName] = list = [];
            }

            list.Add(configure);
        });
        return builder;
    }

    /// <summary>
    /// Runs <paramref name="example"/> through the builder's model (or every model, on the builder
    /// <c>AddPredictionEnginePool</c> returns) when the host starts, so that the first request finds the sessions warm.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="example">A valid input, such as a short sentence for a text model.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// <c>AddPredictionEnginePool</c> registers a hosted service that builds the pool, and so loads every model, when
    /// the host starts; the examples then run once each. A failing example is logged and does not stop the host. The
    /// pool's health check reports unhealthy until the warm-up has finished.
    /// </remarks>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> WithWarmUpExample<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, TData example)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(example);
        var modelName = builder.ModelName;
        builder.Services.Configure<PoolRegistrations<TData, TPrediction>>(r =>
        {
            if (modelName is null)
            {
                r.SharedWarmUp.Add(example);
            }
            else
            {
                if (!r.ModelWarmUp.TryGetValue(modelName, out var list))
                {
                    r.ModelWarmUp[modelName] = list = [];
                }

                list.Add(example);
            }
        });
        return builder;
    }

    /// <summary>Adds a check run on every request before it joins a batch; a non-null message rejects it with <see cref="InvalidInputException"/>.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="validate">Returns what is wrong with a request, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> WithValidation<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, Func<TData, string?> validate)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validate);
        builder.Services.Configure<PoolRegistrations<TData, TPrediction>>(r => r.Validators.Add(validate));
        return builder;
    }

    /// <summary>Sets how a request's length is measured for length grouping (default: total length of its string and array members).</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="length">The length of a request.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> WithLengthSelector<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, Func<TData, int> length)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(length);
        builder.Services.Configure<PoolRegistrations<TData, TPrediction>>(r => r.LengthSelector = length);
        return builder;
    }

    private static IPredictionEnginePoolBuilder<TData, TPrediction> AddSource<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, ModelSource source)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(modelName);
        builder.Services.Configure<PoolRegistrations<TData, TPrediction>>(r => r.Models[modelName] = source);
        return new PredictionEnginePoolBuilder<TData, TPrediction>(builder.Services, modelName);
    }
}
