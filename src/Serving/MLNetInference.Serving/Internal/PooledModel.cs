using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// One named model of a pool: its loader, its batcher, the loaded version serving it, and hot reload. When the loader
/// signals a new version, it is loaded in the background and swapped in; if it fails, the old version keeps serving and
/// the failure is logged. Batches already running finish on the old version, whose sessions are disposed afterwards.
/// </summary>
internal sealed partial class PooledModel<TData, TPrediction> : IAsyncDisposable
    where TData : class
    where TPrediction : class, new()
{
    private readonly ModelSource _source;
    private readonly ModelLoader _loader;
    private readonly DynamicBatchingOptions _options;
    private readonly ILogger _logger;
    private readonly ILogger _sessionLogger;
    private readonly SchemaDefinition _inputDefinition;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private IDisposable? _reloadSubscription;
    private LoadedModel? _current;
    private int _status = (int)ModelStatus.Loading;
    private int _version;
    private long _memoryReleases;
    private int _disposed;

    public PooledModel(string name, ModelSource source, ModelLoader loader, DynamicBatchingOptions options, Func<TData, int> length, ILogger logger, ILogger sessionLogger, TimeProvider timeProvider, PoolInstruments instruments)
    {
        Name = name;
        _source = source;
        _loader = loader;
        _options = options;
        _logger = logger;
        // The session factory logs CUDA fallback and batch-support warnings as each session loads.
        _sessionLogger = sessionLogger;
        _inputDefinition = SchemaDefinition.Create(typeof(TData));
        Batcher = new DynamicBatcher<TData, TPrediction>(PoolRegistrations<TData, TPrediction>.DisplayName(name), options, length, logger, timeProvider, instruments);
    }

    public string Name { get; }

    public TimeSpan RequestTimeout => _options.RequestTimeout;

    /// <summary>Gets the model's batching settings, after the pool-wide and the per-model ones.</summary>
    public DynamicBatchingOptions Options => _options;

    public ModelLoader Loader => _loader;

    public DynamicBatcher<TData, TPrediction> Batcher { get; }

    public ModelStatus Status => (ModelStatus)Volatile.Read(ref _status);

    public Exception? LastError { get; private set; }

    /// <summary>Gets how many versions have been loaded successfully.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Gets how many retired versions of this model have had their memory released (<see cref="DynamicBatchingOptions.ReleaseMemoryAfterReload"/>).</summary>
    public long MemoryReleases => Interlocked.Read(ref _memoryReleases);

    public ITransformer CurrentModel => Volatile.Read(ref _current)?.Primary
        ?? throw new ModelUnavailableException(Name, $"Model '{PoolRegistrations<TData, TPrediction>.DisplayName(Name)}' is not loaded ({Status}): {LastError?.Message}");

    /// <summary>
    /// Loads the first version, then follows the loader's reload signal; on failure the model is marked failed and the
    /// error logged, not thrown (a later signal may still bring a valid version).
    /// </summary>
    public void LoadInitial()
    {
        try
        {
            Install(Load());
        }
        catch (Exception ex) when (IsLoadFailure(ex))
        {
            LastError = ex;
            Volatile.Write(ref _status, (int)ModelStatus.Failed);
            LogLoadFailed(_logger, ex, Name, _loader.Description);
        }

        _reloadSubscription = ChangeToken.OnChange(_loader.GetReloadToken, () => _ = ReloadInBackgroundAsync());
    }

    /// <summary>Loads the file again and swaps the new version in; on failure the old version keeps serving.</summary>
    /// <returns><see langword="true"/> when the new version serves.</returns>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken = default)
    {
        await _reloadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            var hadModel = Volatile.Read(ref _current) is not null;
            if (hadModel)
            {
                Volatile.Write(ref _status, (int)ModelStatus.Reloading);
            }

            try
            {
                var executors = await Task.Run(Load, cancellationToken).ConfigureAwait(false);
                Install(executors);
                LogReloaded(_logger, Name, _loader.Description, Version);
                return true;
            }
            catch (Exception ex) when (IsLoadFailure(ex))
            {
                LastError = ex;
                Volatile.Write(ref _status, (int)(hadModel ? ModelStatus.ReloadFailed : ModelStatus.Failed));
                LogReloadFailed(_logger, ex, Name, _loader.Description);
                return false;
            }
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _reloadSubscription?.Dispose();
        _loader.Dispose();
        await Batcher.DisposeAsync().ConfigureAwait(false);
        await _reloadGate.WaitAsync().ConfigureAwait(false);
        Batcher.CurrentExecutors?.Retire();
        _reloadGate.Dispose();
    }

    private static bool IsLoadFailure(Exception ex)
        => ex is OnnxModelLoadException or IOException or InvalidDataException or InvalidOperationException or ArgumentException or FormatException or NotSupportedException or UnauthorizedAccessException;

    private void Install(ExecutorSet<TData, TPrediction> executors)
    {
        Volatile.Write(ref _current, ((LoadedModelHolder)executors.Owner!).Model);
        Batcher.SwapExecutors(executors);
        Interlocked.Increment(ref _version);
        LastError = null;
        Volatile.Write(ref _status, (int)ModelStatus.Loaded);
    }

    private ExecutorSet<TData, TPrediction> Load()
    {
        if (_loader is ExecutorModelLoader<TData, TPrediction> external)
        {
            return LoadExecutors(external);
        }

        // A local file loads by path (ONNX external data beside it is found); other sources load from their bytes.
        var path = _loader.FilePath;
        var content = path is null ? ReadContent() : null;
        var isRawOnnx = _source.IsRawOnnx ?? !(content is null ? IsZip(path!) : IsZip(content));
        var mlContext = new MLContext();
        BatchedModel.RegisterComponents(mlContext);
        var versions = new List<ITransformer>();
        var executors = new List<IBatchExecutor<TData, TPrediction>>();
        try
        {
            foreach (var device in _options.EffectiveDevices)
            {
                var session = new OnnxSessionOptions
                {
                    ExecutionProvider = device.Provider,
                    DeviceId = device.DeviceId,
                    IntraOpThreads = _options.IntraOpThreadsPerWorker,
                    InterOpThreads = 1,
                };
                // On a GPU one batch runs in one call; on the CPU the scorer keeps its own small, length-sorted
                // sub-batches, because there padding costs compute and batching itself buys little.
                int? runBatch = device.Provider == ExecutionProvider.Cpu ? null : _options.MaxBatchSize;
                var load = new BatchedModelLoadOptions { Session = session, BatchSize = runBatch, Logger = _sessionLogger };
                var model = isRawOnnx ? LoadRawOnnx(mlContext, session, runBatch, path, content)
                    : content is null ? BatchedModel.Load(mlContext, path!, out _, load)
                    : BatchedModel.Load(mlContext, new MemoryStream(content, writable: false), out _, load);
                versions.Add(model);
                WarnOnFallback(model, device);
                for (var w = 0; w < _options.WorkersFor(device); w++)
                {
                    executors.Add(CreateExecutor(mlContext, model));
                }
            }
        }
        catch
        {
            new LoadedModel(versions).Dispose();
            throw;
        }

        var loaded = new LoadedModel(versions);
        return new ExecutorSet<TData, TPrediction>(executors, new LoadedModelHolder(loaded, _options.ReleaseMemoryAfterReload ? ReleaseRetiredMemory : null), $"{executors.Count} workers on {string.Join(", ", _options.EffectiveDevices)}");
    }

    private ExecutorSet<TData, TPrediction> LoadExecutors(ExecutorModelLoader<TData, TPrediction> loader)
    {
        var executors = new List<IBatchExecutor<TData, TPrediction>>();
        var owned = new List<IDisposable>();
        try
        {
            for (var w = 0; w < _options.WorkersFor(DeviceSpec.Cpu); w++)
            {
                var executor = loader.CreateExecutor();
                if (executor is IDisposable disposable)
                {
                    owned.Add(disposable);
                }

                executors.Add(new ExternalExecutor(executor));
            }
        }
        catch
        {
            new LoadedModel([], owned).Dispose();
            throw;
        }

        return new ExecutorSet<TData, TPrediction>(executors, new LoadedModelHolder(new LoadedModel([], owned), _options.ReleaseMemoryAfterReload ? ReleaseRetiredMemory : null), $"{executors.Count} external workers");
    }

    private IBatchExecutor<TData, TPrediction> CreateExecutor(MLContext mlContext, ITransformer model)
    {
        // PERF: a raw ONNX model over plain arrays skips the per-batch ML.NET view and runs the batch runner directly.
        if (model is OnnxBatchScoringTransformer scorer
            && DirectOnnxExecutor<TData, TPrediction>.TryCreate(scorer.Runner, scorer.InputColumns, scorer.OutputColumns) is { } direct)
        {
            return direct;
        }

        // PERF: our text → embedding zips tokenize each row once and skip the per-batch ML.NET view.
        var inputSchema = mlContext.Data.LoadFromEnumerable(Array.Empty<TData>(), _inputDefinition).Schema;
        if (DirectEmbeddingExecutor<TData, TPrediction>.TryCreate(model, inputSchema) is { } embedding)
        {
            return embedding;
        }

        return new MlNetBatchExecutor<TData, TPrediction>(mlContext, model, _inputDefinition);
    }

    private ITransformer LoadRawOnnx(MLContext mlContext, OnnxSessionOptions session, int? runBatch, string? path, byte[]? content)
    {
        var scoring = new OnnxBatchScoringOptions { Session = session, Logger = _sessionLogger };
        if (runBatch is { } batch)
        {
            scoring.BatchSize = batch;
        }

        _source.OnnxMapping?.Invoke(scoring);
        scoring.ModelPath = path;
        scoring.ModelBytes = path is null ? content : null;
        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<TData>(), _inputDefinition);
        return mlContext.Transforms.ScoreOnnxBatched(scoring).Fit(empty);
    }

    private void WarnOnFallback(ITransformer model, DeviceSpec device)
    {
        foreach (var stage in BatchedModel.GetStages(model))
        {
            if (stage is OnnxBatchScoringTransformer scorer && scorer.Model.ExecutionProvider != device.Provider)
            {
                LogDeviceFallback(_logger, Name, device.ToString(), scorer.Model.ExecutionProvider.ToString());
            }
        }
    }

    /// <summary>An ML.NET model is a zip: it starts with the local file header signature <c>PK\x03\x04</c>; ONNX never does.</summary>
    private static bool IsZip(ReadOnlySpan<byte> content) => content.Length >= 4 && content[0] == 0x50 && content[1] == 0x4B && content[2] == 0x03 && content[3] == 0x04;

    private static bool IsZip(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && IsZip(head);
    }

    private byte[] ReadContent()
    {
        // Loads run on a background thread (reloads) or in the pool's constructor (the first load), so blocking here
        // holds no request thread.
        using var stream = _loader.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private async Task ReloadInBackgroundAsync()
    {
        try
        {
            await ReloadAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The pool shut down while a change was pending.
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Model '{ModelName}' could not be loaded from '{Path}'; requests to it fail until a valid file appears.")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string modelName, string path);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Model '{ModelName}' reloaded from '{Path}' (version {Version}).")]
    private static partial void LogReloaded(ILogger logger, string modelName, string path, int version);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "Reloading model '{ModelName}' from '{Path}' failed; the previous version keeps serving.")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, string modelName, string path);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Model '{ModelName}' asked for device {Device} but runs on {Actual}: CUDA could not be loaded, so it fell back to the CPU.")]
    private static partial void LogDeviceFallback(ILogger logger, string modelName, string device, string actual);

    /// <summary>Counts and queues the release of a retired version's memory (<see cref="DynamicBatchingOptions.ReleaseMemoryAfterReload"/>).</summary>
    private void ReleaseRetiredMemory()
    {
        Interlocked.Increment(ref _memoryReleases);
        RetiredMemory.Release();
    }

    /// <summary>Runs a batch on an executor registered with <c>FromExecutor</c>.</summary>
    private sealed class ExternalExecutor(IPredictionBatchExecutor<TData, TPrediction> executor) : IBatchExecutor<TData, TPrediction>
    {
        public void Execute(ReadOnlySpan<TData> requests, Span<TPrediction> results) => executor.Execute(requests, results);
    }

    /// <summary>Lets <see cref="Install"/> find the loaded model behind an executor set.</summary>
    private sealed class LoadedModelHolder : IDisposable
    {
        private readonly Action? _afterDispose;

        public LoadedModelHolder(LoadedModel model, Action? afterDispose)
        {
            Model = model;
            _afterDispose = afterDispose;
        }

        public LoadedModel Model { get; }

        public void Dispose()
        {
            Model.Dispose();

            // The version left service after a reload (or at shutdown): give its memory back now, not whenever the
            // allocators next get round to it.
            _afterDispose?.Invoke();
        }
    }
}
