using MLNetInference.Core;
using MLNetInference.Core.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Serving;

/// <summary>
/// Serves predictions from named ML.NET models (ours included) or raw ONNX files, with the API shape of
/// Microsoft.Extensions.ML's pool, and batches concurrent requests across callers: a request joins a batch that
/// runs in one pass through the model's batched ONNX stage.
/// </summary>
/// <typeparam name="TData">The input row type.</typeparam>
/// <typeparam name="TPrediction">The prediction row type.</typeparam>
/// <remarks>
/// Overloads without a model name use the default model (registered with an empty name, as in Microsoft.Extensions.ML).
/// Registered with <c>services.AddPredictionEnginePool&lt;TData, TPrediction&gt;()</c>; disposed by the container,
/// which drains queued requests.
/// </remarks>
public sealed class PredictionEnginePool<TData, TPrediction> : IAsyncDisposable, IDisposable
    where TData : class
    where TPrediction : class, new()
{
    private readonly Dictionary<string, PooledModel<TData, TPrediction>> _models = new(StringComparer.Ordinal);
    private readonly PoolRegistrations<TData, TPrediction> _registrations;
    private int _warmUp;
    private readonly PoolInstruments _instruments;
    private int _disposed;

    /// <summary>Creates the pool and loads every registered model. A model that fails to load is marked failed and logged.</summary>
    /// <param name="registrations">What the DI builder registered.</param>
    /// <param name="loggerFactory">Logging; optional.</param>
    /// <param name="timeProvider">The clock for delays and timeouts; the system clock when <see langword="null"/>.</param>
    /// <param name="services">Where model loaders find their services (HTTP clients, clocks, logging), and where the
    /// pool finds its instruments on the host's meter; without it, the process-wide meter.</param>
    internal PredictionEnginePool(IOptions<PoolRegistrations<TData, TPrediction>> registrations, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, IServiceProvider? services = null)
    {
        _registrations = registrations.Value;
        _instruments = services?.GetService(typeof(PoolInstruments)) as PoolInstruments ?? PoolInstruments.Shared;
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("MLNetInference.Serving.PredictionEnginePool");
        var sessionLogger = loggerFactory.CreateLogger<OnnxSessionFactory>();
        var length = _registrations.LengthSelector ?? RequestLength.Default<TData>();
        foreach (var (name, source) in _registrations.Models)
        {
            var loader = source.CreateLoader(services ?? EmptyServices.Instance);
            var model = new PooledModel<TData, TPrediction>(name, source, loader, _registrations.BatchingFor(name), length, logger, sessionLogger, timeProvider ?? TimeProvider.System, _instruments);
            _models.Add(name, model);
            model.LoadInitial();
        }
    }

    /// <summary>Gets the registered model names.</summary>
    public IReadOnlyCollection<string> ModelNames => _models.Keys;

    /// <summary>Predicts with the default model, waiting for the result (Microsoft.Extensions.ML's synchronous shape).</summary>
    /// <param name="example">The input.</param>
    /// <returns>The prediction.</returns>
    /// <remarks>In ASP.NET and other servers use <see cref="PredictAsync(TData, CancellationToken)"/>: see <see cref="Predict(string, TData)"/>.</remarks>
    public TPrediction Predict(TData example) => Predict(Options.DefaultName, example);

    /// <summary>Predicts with a named model, waiting for the result.</summary>
    /// <remarks>
    /// <para>It blocks the calling thread until the request's batch has run, which takes the queue delay plus a batch's
    /// inference time. The batches themselves run on the thread pool, so many requests blocked on thread-pool threads
    /// at once (synchronous controllers under load) leave fewer threads to run them, and the pool grows only slowly:
    /// latency climbs. In ASP.NET and other servers await <see cref="PredictAsync(string, TData, CancellationToken)"/>
    /// instead; keep <c>Predict</c> for console apps, tests and code that cannot be asynchronous.</para>
    /// </remarks>
    /// <param name="modelName">The model name.</param>
    /// <param name="example">The input.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="QueueFullException">The model's queue is full.</exception>
    /// <exception cref="PredictionTimeoutException">The request did not complete within the timeout.</exception>
    /// <exception cref="ModelUnavailableException">The model is not loaded or is shutting down.</exception>
    /// <exception cref="InvalidInputException">The input failed validation.</exception>
    public TPrediction Predict(string modelName, TData example) => PredictAsync(modelName, example, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Predicts with the default model.</summary>
    /// <param name="example">The input.</param>
    /// <param name="cancellationToken">Withdraws the request while it is queued.</param>
    /// <returns>The prediction.</returns>
    public Task<TPrediction> PredictAsync(TData example, CancellationToken cancellationToken = default)
        => PredictAsync(Options.DefaultName, example, cancellationToken);

    /// <summary>Predicts with a named model; the request joins the next batch.</summary>
    /// <param name="modelName">The model name.</param>
    /// <param name="example">The input.</param>
    /// <param name="cancellationToken">Withdraws the request while it is queued; a running batch finishes without it.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="QueueFullException">The model's queue is full (thrown at once).</exception>
    /// <exception cref="PredictionTimeoutException">The request did not complete within the timeout.</exception>
    /// <exception cref="ModelUnavailableException">The model is not loaded or is shutting down.</exception>
    /// <exception cref="InvalidInputException">The input failed validation.</exception>
    public Task<TPrediction> PredictAsync(string modelName, TData example, CancellationToken cancellationToken = default)
    {
        var model = Find(modelName);
        Validate(modelName, example);
        return Enqueue(model, example, cancellationToken);
    }

    /// <summary>Predicts a list of inputs with a named model; they join batches like single requests.</summary>
    /// <param name="modelName">The model name.</param>
    /// <param name="examples">The inputs.</param>
    /// <param name="cancellationToken">Withdraws the requests while they are queued.</param>
    /// <returns>The predictions, in input order.</returns>
    public Task<TPrediction[]> PredictBatchAsync(string modelName, IReadOnlyList<TData> examples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var model = Find(modelName);
        for (var i = 0; i < examples.Count; i++)
        {
            Validate(modelName, examples[i]);
        }

        var tasks = new Task<TPrediction>[examples.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Enqueue(model, examples[i], cancellationToken);
        }

        return Task.WhenAll(tasks);
    }

    /// <summary>Predicts a list of inputs with the default model.</summary>
    /// <param name="examples">The inputs.</param>
    /// <param name="cancellationToken">Withdraws the requests while they are queued.</param>
    /// <returns>The predictions, in input order.</returns>
    public Task<TPrediction[]> PredictBatchAsync(IReadOnlyList<TData> examples, CancellationToken cancellationToken = default)
        => PredictBatchAsync(Options.DefaultName, examples, cancellationToken);

    /// <summary>Gets the ML.NET model currently serving a named model.</summary>
    /// <param name="modelName">The model name.</param>
    /// <returns>The model. The pool owns it: do not dispose it, and do not wrap it in a <c>PredictionEngine</c> that
    /// owns its transformer (ML.NET's default), whose disposal would dispose the pool's sessions.</returns>
    /// <exception cref="ModelUnavailableException">The model is not loaded.</exception>
    public ITransformer GetModel(string modelName) => Find(modelName).CurrentModel;

    /// <summary>Gets the ML.NET model currently serving the default model.</summary>
    /// <returns>The model.</returns>
    public ITransformer GetModel() => GetModel(Options.DefaultName);

    /// <summary>Gets a model's state: loading, loaded, reloading, reload failed or failed.</summary>
    /// <param name="modelName">The model name.</param>
    /// <returns>The status.</returns>
    public ModelStatus GetStatus(string modelName) => Lookup(modelName).Status;

    /// <summary>Gets the last load error of a model, or <see langword="null"/>.</summary>
    /// <param name="modelName">The model name.</param>
    /// <returns>The error.</returns>
    public Exception? GetLastError(string modelName) => Lookup(modelName).LastError;

    /// <summary>Gets whether the warm-up at host start (registered by <c>AddPredictionEnginePool</c>) is still running.</summary>
    internal bool IsWarmingUp => Volatile.Read(ref _warmUp) == 1;

    /// <summary>Gets the examples to run through each model at host start.</summary>
    internal PoolRegistrations<TData, TPrediction> Registrations => _registrations;

    /// <summary>Gets a model's batching settings, after the pool-wide and the per-model ones.</summary>
    internal DynamicBatchingOptions BatchingOptions(string modelName) => Lookup(modelName).Options;

    /// <summary>Gets the loader a model reads from.</summary>
    internal ModelLoader LoaderOf(string modelName) => Lookup(modelName).Loader;

    internal long MemoryReleasesOf(string modelName) => Lookup(modelName).MemoryReleases;

    internal void MarkWarmingUp(bool running) => Volatile.Write(ref _warmUp, running ? 1 : 2);

    /// <summary>Gets the number of requests waiting in a model's queue.</summary>
    /// <param name="modelName">The model name.</param>
    /// <returns>The queue length.</returns>
    public int GetQueueLength(string modelName) => Lookup(modelName).Batcher.QueueLength;

    /// <summary>Loads a model again now from its loader (as a file change would), and swaps it in if it loads.</summary>
    /// <param name="modelName">The model name.</param>
    /// <param name="cancellationToken">Stops waiting for the reload gate.</param>
    /// <returns><see langword="true"/> when the new version serves; <see langword="false"/> when it failed and the old one keeps serving.</returns>
    public Task<bool> ReloadAsync(string modelName, CancellationToken cancellationToken = default) => Lookup(modelName).ReloadAsync(cancellationToken);

    /// <summary>Stops taking requests, drains the queues within each model's shutdown timeout, and disposes the sessions.</summary>
    /// <returns>A task that completes when the pool is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(_models.Values.Select(m => m.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Queues a request on its model, or on the model's overflow model when its queue is full.</summary>
    private Task<TPrediction> Enqueue(PooledModel<TData, TPrediction> model, TData example, CancellationToken cancellationToken)
    {
        try
        {
            return model.Batcher.EnqueueAsync(example, model.RequestTimeout, cancellationToken);
        }
        catch (QueueFullException) when (_registrations.Overflow.TryGetValue(model.Name, out var target))
        {
            // Rarely taken: the local queue is full, so the request goes to the overflow model (often a remote server).
            var overflow = Find(target);
            _instruments.OverflowedRequests.Add(1, new KeyValuePair<string, object?>(PoolMetrics.ModelNameAttribute, PoolRegistrations<TData, TPrediction>.DisplayName(model.Name)), new(PoolMetrics.OverflowTargetAttribute, PoolRegistrations<TData, TPrediction>.DisplayName(target)));
            return overflow.Batcher.EnqueueAsync(example, overflow.RequestTimeout, cancellationToken);
        }
    }

    /// <summary>The model that serves requests; throws when it is not loaded.</summary>
    private PooledModel<TData, TPrediction> Find(string modelName)
    {
        var model = Lookup(modelName);
        if (model.Status == ModelStatus.Failed)
        {
            _instruments.Reject(PoolRegistrations<TData, TPrediction>.DisplayName(modelName), PoolErrorTypes.Unavailable);
            throw new ModelUnavailableException(modelName, $"Model '{PoolRegistrations<TData, TPrediction>.DisplayName(modelName)}' failed to load: {model.LastError?.Message}", model.LastError);
        }

        return model;
    }

    /// <summary>The registered model, whatever its state.</summary>
    private PooledModel<TData, TPrediction> Lookup(string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_models.TryGetValue(modelName, out var model))
        {
            throw new ModelUnavailableException(modelName, $"No model named '{PoolRegistrations<TData, TPrediction>.DisplayName(modelName)}' is registered. Registered: {string.Join(", ", _models.Keys.Select(PoolRegistrations<TData, TPrediction>.DisplayName))}.");
        }

        return model;
    }

    private void Validate(string modelName, TData example)
    {
        ArgumentNullException.ThrowIfNull(example);
        foreach (var validator in _registrations.Validators)
        {
            if (validator(example) is { } problem)
            {
                _instruments.Reject(PoolRegistrations<TData, TPrediction>.DisplayName(modelName), PoolErrorTypes.InvalidInput);
                throw new InvalidInputException(typeof(TData).Name, problem);
            }
        }
    }

    /// <summary>Resolves nothing: for a pool built without a container.</summary>
    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
