using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// One named model of a pool: its batcher, the loaded version serving it, and hot reload. A reload loads the new
/// version in the background and swaps it in; if it fails, the old version keeps serving and the failure is logged.
/// Batches already running finish on the old version, whose sessions are disposed afterwards.
/// </summary>
internal sealed partial class PooledModel<TData, TPrediction> : IAsyncDisposable
    where TData : class
    where TPrediction : class, new()
{
    private static readonly TimeSpan ReloadDebounce = TimeSpan.FromMilliseconds(300);

    private readonly ModelSource _source;
    private readonly DynamicBatchingOptions _options;
    private readonly ILogger _logger;
    private readonly ILogger _sessionLogger;
    private readonly SchemaDefinition _inputDefinition;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly FileSystemWatcher? _watcher;
    private readonly ITimer? _debounce;
    private LoadedModel? _current;
    private int _status = (int)ModelStatus.Loading;
    private int _version;
    private int _disposed;

    public PooledModel(string name, ModelSource source, DynamicBatchingOptions options, Func<TData, int> length, ILogger logger, ILogger sessionLogger, TimeProvider timeProvider)
    {
        Name = name;
        _source = source;
        _options = options;
        _logger = logger;
        // The session factory logs CUDA fallback and batch-support warnings as each session loads.
        _sessionLogger = sessionLogger;
        _inputDefinition = SchemaDefinition.Create(typeof(TData));
        Batcher = new DynamicBatcher<TData, TPrediction>(PoolRegistrations<TData, TPrediction>.DisplayName(name), options, length, logger, timeProvider);
        if (source.WatchForChanges)
        {
            var full = Path.GetFullPath(source.Path);
            // The debounce runs on the pool's clock, so tests drive it with a fake one.
            _debounce = timeProvider.CreateTimer(_ => _ = ReloadInBackgroundAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
            };
            _watcher.Changed += OnFileChanged;
            _watcher.Created += OnFileChanged;
            _watcher.Renamed += OnFileChanged;

            // A deleted file is reported too: the reload that follows fails, so the status and health say the file is gone
            // while the loaded version keeps serving.
            _watcher.Deleted += OnFileChanged;
            _watcher.EnableRaisingEvents = true;
        }
    }

    public string Name { get; }

    public TimeSpan RequestTimeout => _options.RequestTimeout;

    public DynamicBatcher<TData, TPrediction> Batcher { get; }

    public ModelStatus Status => (ModelStatus)Volatile.Read(ref _status);

    public Exception? LastError { get; private set; }

    /// <summary>Gets how many versions have been loaded successfully.</summary>
    public int Version => Volatile.Read(ref _version);

    public ITransformer CurrentModel => Volatile.Read(ref _current)?.Primary
        ?? throw new ModelUnavailableException(Name, $"Model '{PoolRegistrations<TData, TPrediction>.DisplayName(Name)}' is not loaded ({Status}): {LastError?.Message}");

    /// <summary>Loads the first version; on failure the model is marked failed and the error logged, not thrown.</summary>
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
            LogLoadFailed(_logger, ex, Name, _source.Path);
        }
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
                LogReloaded(_logger, Name, _source.Path, Version);
                return true;
            }
            catch (Exception ex) when (IsLoadFailure(ex))
            {
                LastError = ex;
                Volatile.Write(ref _status, (int)(hadModel ? ModelStatus.ReloadFailed : ModelStatus.Failed));
                LogReloadFailed(_logger, ex, Name, _source.Path);
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

        _watcher?.Dispose();
        if (_debounce is not null)
        {
            await _debounce.DisposeAsync().ConfigureAwait(false);
        }

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
                var model = _source.IsRawOnnx ? LoadRawOnnx(mlContext, session, runBatch) : BatchedModel.Load(mlContext, _source.Path, out _, new BatchedModelLoadOptions { Session = session, BatchSize = runBatch, Logger = _sessionLogger });
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
        return new ExecutorSet<TData, TPrediction>(executors, new LoadedModelHolder(loaded), $"{executors.Count} workers on {string.Join(", ", _options.EffectiveDevices)}");
    }

    private IBatchExecutor<TData, TPrediction> CreateExecutor(MLContext mlContext, ITransformer model)
    {
        // PERF: a raw ONNX model over plain arrays skips the per-batch ML.NET view and runs the batch runner directly.
        if (model is OnnxBatchScoringTransformer scorer
            && DirectOnnxExecutor<TData, TPrediction>.TryCreate(scorer.Runner, scorer.InputColumns, scorer.OutputColumns) is { } direct)
        {
            return direct;
        }

        return new MlNetBatchExecutor<TData, TPrediction>(mlContext, model, _inputDefinition);
    }

    private ITransformer LoadRawOnnx(MLContext mlContext, OnnxSessionOptions session, int? runBatch)
    {
        var scoring = new OnnxBatchScoringOptions { ModelPath = _source.Path, Session = session, Logger = _sessionLogger };
        if (runBatch is { } batch)
        {
            scoring.BatchSize = batch;
        }

        _source.OnnxMapping?.Invoke(scoring);
        scoring.ModelPath = _source.Path;
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

    private void OnFileChanged(object sender, FileSystemEventArgs e)
    {
        // Editors and copies raise several events per change: reload once they settle.
        _debounce?.Change(ReloadDebounce, Timeout.InfiniteTimeSpan);
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

    /// <summary>Lets <see cref="Install"/> find the loaded model behind an executor set.</summary>
    private sealed class LoadedModelHolder : IDisposable
    {
        public LoadedModelHolder(LoadedModel model)
        {
            Model = model;
        }

        public LoadedModel Model { get; }

        public void Dispose() => Model.Dispose();
    }
}
