using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// The models the V2 server serves, by name. Sources load in the background once the host starts; until every one
/// has loaded (or failed) the server is not ready, and a name not known yet answers 503 rather than 404.
/// </summary>
internal sealed partial class ModelRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, IInferenceModel> _models = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<IModelSource> _sources;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    public ModelRegistry(IOptions<OpenInferenceRegistrations> registrations, ILoggerFactory loggerFactory)
    {
        _sources = registrations.Value.Sources;
        _logger = loggerFactory.CreateLogger("MLNetInference.Serving.OpenInference");
    }

    /// <summary>Gets a task that completes when every source has loaded or failed.</summary>
    public Task Loaded => _loaded.Task;

    public bool IsLoading => !_loaded.Task.IsCompleted;

    /// <summary>Gets whether the server is ready: every source loaded and every model ready.</summary>
    public bool IsReady
    {
        get
        {
            if (IsLoading)
            {
                return false;
            }

            foreach (var model in _models.Values)
            {
                if (!model.IsReady)
                {
                    return false;
                }
            }

            return true;
        }
    }

    public ICollection<IInferenceModel> Models => _models.Values;

    /// <summary>Starts loading every source on a background thread, once.</summary>
    public void StartLoading(IServiceProvider services)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        _ = Task.Run(() =>
        {
            foreach (var source in _sources)
            {
                try
                {
                    foreach (var model in source.Load(services))
                    {
                        Track(model);
                    }
                }
                catch (Exception ex)
                {
                    LogSourceFailed(_logger, ex, source.ToString() ?? source.GetType().Name);
                }
            }

            _loaded.TrySetResult();
        });
    }

    /// <summary>Makes a model visible (as loading, until it is ready).</summary>
    public void Track(IInferenceModel model)
    {
        if (!_models.TryAdd(model.Name, model) && !ReferenceEquals(_models[model.Name], model))
        {
            throw new InvalidOperationException($"Two models are registered under the name '{model.Name}'.");
        }
    }

    /// <summary>Finds a model by name and, when given, version.</summary>
    /// <exception cref="OpenInferenceException">404 for an unknown model or version; 503 while the name may still appear.</exception>
    public IInferenceModel Find(string name, string? version)
    {
        if (!_models.TryGetValue(name, out var model))
        {
            if (IsLoading)
            {
                throw OpenInferenceException.Unavailable($"Model '{name}' is not available yet: the server is loading its models.");
            }

            throw OpenInferenceException.NotFound($"Unknown model '{name}'. Served: {string.Join(", ", _models.Keys.Order(StringComparer.Ordinal))}.");
        }

        if (!string.IsNullOrEmpty(version) && !string.Equals(version, model.Version, StringComparison.Ordinal))
        {
            throw OpenInferenceException.NotFound($"Model '{name}' has no version '{version}'; it serves version {model.Version}.");
        }

        return model;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var model in _models.Values)
        {
            if (model is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "Open Inference model source {Source} failed to load; its models are not served.")]
    private static partial void LogSourceFailed(ILogger logger, Exception exception, string source);
}
