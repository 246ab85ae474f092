using MLNetInference.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Serving;

/// <summary>Adds models and settings to a prediction engine pool.</summary>
public static class PredictionEnginePoolBuilderExtensions
{
    /// <summary>Serves an ML.NET model zip (stock or MLNetInference's) as the default model.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="filePath">The model zip.</param>
    /// <param name="watchForChanges">Whether a change to the file reloads the model in the background.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromFile<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string filePath, bool watchForChanges = false)
        where TData : class
        where TPrediction : class, new()
        => builder.FromFile(Options.DefaultName, filePath, watchForChanges);

    /// <summary>Serves an ML.NET model zip (stock or MLNetInference's) under a name.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="filePath">The model zip.</param>
    /// <param name="watchForChanges">Whether a change to the file reloads the model in the background.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromFile<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string filePath, bool watchForChanges = false)
        where TData : class
        where TPrediction : class, new()
        => builder.AddSource(modelName, new ModelSource(filePath, watchForChanges, null, isRawOnnx: false));

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
    /// <param name="watchForChanges">Whether a change to the file reloads the model in the background.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromOnnxFile<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string onnxPath, Action<OnnxBatchScoringOptions>? configure = null, bool watchForChanges = false)
        where TData : class
        where TPrediction : class, new()
        => builder.AddSource(modelName, new ModelSource(onnxPath, watchForChanges, configure, isRawOnnx: true));

    /// <summary>Sets the dynamic batching settings of every model of the pool.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> WithDynamicBatching<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, Action<DynamicBatchingOptions> configure)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
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
        ArgumentException.ThrowIfNullOrEmpty(source.Path);
        builder.Services.Configure<PoolRegistrations<TData, TPrediction>>(r => r.Models[modelName] = source);
        return builder;
    }
}
