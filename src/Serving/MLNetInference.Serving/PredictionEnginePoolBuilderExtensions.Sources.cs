using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Serving;

/// <content>Models from an HTTP(S) address and from a custom <see cref="ModelLoader"/>.</content>
public static partial class PredictionEnginePoolBuilderExtensions
{
    /// <summary>How often <c>FromUri</c> checks for a new version when no period is given: five minutes, as in Microsoft.Extensions.ML.</summary>
    public static readonly TimeSpan DefaultUriPeriod = TimeSpan.FromMinutes(5);

    /// <summary>Serves a model downloaded from an HTTP(S) address as the default model, checked for a new version every five minutes.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="uri">The absolute address of an ML.NET model zip or a <c>.onnx</c> file.</param>
    /// <returns>The builder for the default model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromUri<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string uri)
        where TData : class
        where TPrediction : class, new()
        => builder.FromUri(Microsoft.Extensions.Options.Options.DefaultName, uri, DefaultUriPeriod);

    /// <summary>Serves a model downloaded from an HTTP(S) address as the default model, checked for a new version every period.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="uri">The absolute address of an ML.NET model zip or a <c>.onnx</c> file.</param>
    /// <param name="period">How often to check for a new version.</param>
    /// <returns>The builder for the default model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromUri<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string uri, TimeSpan period)
        where TData : class
        where TPrediction : class, new()
        => builder.FromUri(Microsoft.Extensions.Options.Options.DefaultName, uri, period);

    /// <summary>Serves a model downloaded from an HTTP(S) address under a name, checked for a new version every five minutes.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="uri">The absolute address of an ML.NET model zip or a <c>.onnx</c> file.</param>
    /// <returns>The builder for this model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromUri<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string uri)
        where TData : class
        where TPrediction : class, new()
        => builder.FromUri(modelName, uri, DefaultUriPeriod);

    /// <summary>
    /// Serves a model downloaded from an HTTP(S) address under a name, and checks it every period with a conditional
    /// request (<c>ETag</c>, <c>Last-Modified</c>); a changed model is loaded in the background and swapped in once it
    /// loads. Requests go through the <c>IHttpClientFactory</c> client named <see cref="UriModelLoader.HttpClientName"/>.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="uri">The absolute address of an ML.NET model zip or a <c>.onnx</c> file.</param>
    /// <param name="period">How often to check for a new version.</param>
    /// <returns>The builder for this model.</returns>
    /// <exception cref="ArgumentException"><paramref name="uri"/> is not an absolute HTTP(S) address.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive.</exception>
    /// <remarks>The period runs on the container's <see cref="TimeProvider"/>, or the system clock.</remarks>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromUri<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string uri, TimeSpan period)
        where TData : class
        where TPrediction : class, new()
        => builder.FromUri(modelName, uri, period, UriModelLoader.HttpClientName);

    /// <summary>
    /// Serves a model downloaded from an HTTP(S) address under a name, as <c>FromUri(modelName, uri, period)</c>, through
    /// the named <c>IHttpClientFactory</c> client (configure it with <c>services.AddHttpClient(httpClientName, ...)</c>:
    /// authentication headers, a handler, resilience).
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="uri">The absolute address of an ML.NET model zip or a <c>.onnx</c> file.</param>
    /// <param name="period">How often to check for a new version.</param>
    /// <param name="httpClientName">The name of the HTTP client.</param>
    /// <returns>The builder for this model.</returns>
    /// <exception cref="ArgumentException"><paramref name="uri"/> is not an absolute HTTP(S) address.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive.</exception>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromUri<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string uri, TimeSpan period, string httpClientName)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var address))
        {
            throw new ArgumentException($"The model address must be an absolute http or https URI (was '{uri}').", nameof(uri));
        }

        return builder.FromUri(modelName, address, period, httpClientName);
    }

    /// <summary>Serves a model downloaded from an HTTP(S) address under a name, checked for a new version every five minutes.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="uri">The absolute address of an ML.NET model zip or a <c>.onnx</c> file.</param>
    /// <returns>The builder for this model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromUri<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, Uri uri)
        where TData : class
        where TPrediction : class, new()
        => builder.FromUri(modelName, uri, DefaultUriPeriod, UriModelLoader.HttpClientName);

    /// <summary>Serves a model downloaded from an HTTP(S) address under a name, checked for a new version every period.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="uri">The absolute address of an ML.NET model zip or a <c>.onnx</c> file.</param>
    /// <param name="period">How often to check for a new version.</param>
    /// <returns>The builder for this model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromUri<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, Uri uri, TimeSpan period)
        where TData : class
        where TPrediction : class, new()
        => builder.FromUri(modelName, uri, period, UriModelLoader.HttpClientName);

    /// <summary>
    /// Serves a model downloaded from an HTTP(S) address under a name through the named <c>IHttpClientFactory</c> client;
    /// otherwise as <c>FromUri(modelName, uri, period)</c>.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="uri">The absolute address of an ML.NET model zip or a <c>.onnx</c> file.</param>
    /// <param name="period">How often to check for a new version.</param>
    /// <param name="httpClientName">The name of the HTTP client.</param>
    /// <returns>The builder for this model.</returns>
    /// <exception cref="ArgumentException"><paramref name="uri"/> is not an absolute HTTP(S) address.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive.</exception>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromUri<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, Uri uri, TimeSpan period, string httpClientName)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(httpClientName);
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The model address must be an absolute http or https URI (was '{uri}').", nameof(uri));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        builder.Services.AddHttpClient(httpClientName);
        return builder.FromLoader(modelName, sp => new UriModelLoader(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(httpClientName),
            uri,
            period,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<UriModelLoader>()));
    }

    /// <summary>
    /// Serves a model from a custom loader under a name: its content (an ML.NET zip or a <c>.onnx</c> file, told apart by
    /// the zip signature) is read from <see cref="ModelLoader.OpenAsync"/>, and read again when the loader signals a new
    /// version.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="loader">The loader; the pool disposes it when it is disposed.</param>
    /// <param name="onnxMapping">For raw ONNX content: the column mapping and scoring settings, as for <c>FromOnnxFile</c>; optional.</param>
    /// <returns>The builder for this model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromLoader<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, ModelLoader loader, Action<OnnxBatchScoringOptions>? onnxMapping = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(loader);
        return builder.FromLoader(modelName, _ => loader, onnxMapping);
    }

    /// <summary>
    /// Serves a model from a loader created when the pool is built, with the container's services (an HTTP client, a
    /// blob client, a clock); otherwise as <c>FromLoader(modelName, loader)</c>.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The model name; empty for the default model.</param>
    /// <param name="createLoader">Creates the loader; the pool disposes it when it is disposed.</param>
    /// <param name="onnxMapping">For raw ONNX content: the column mapping and scoring settings; optional.</param>
    /// <returns>The builder for this model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromLoader<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, Func<IServiceProvider, ModelLoader> createLoader, Action<OnnxBatchScoringOptions>? onnxMapping = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(createLoader);
        return builder.AddSource(modelName, new ModelSource(createLoader, onnxMapping, isRawOnnx: null));
    }
}
