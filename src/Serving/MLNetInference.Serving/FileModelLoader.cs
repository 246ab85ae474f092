using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace MLNetInference.Serving;

/// <summary>
/// Loads a model from a local file and, unless <see cref="WatchForChanges"/> is off, signals a reload when the file
/// changes. <c>FromFile</c> and <c>FromOnnxFile</c> use it.
/// </summary>
/// <remarks>
/// <para>Watching uses a file system watcher on the file alone. Where those events do not arrive (container volume
/// mounts, network shares), set <see cref="UsePollingFileWatcher"/>, or the environment variable
/// <c>DOTNET_USE_POLLING_FILE_WATCHER</c> to <c>true</c> or <c>1</c> as for the rest of .NET: the file's timestamp is
/// then polled every four seconds (<see cref="PhysicalFileProvider"/>'s active polling).</para>
/// <para>Editors and copies raise several events per change, so a reload is signalled once the events have settled
/// for 300 ms.</para>
/// </remarks>
public sealed class FileModelLoader : ModelLoader
{
    /// <summary>The environment variable that turns on polling, as for configuration files and static files.</summary>
    public const string PollingEnvironmentVariable = "DOTNET_USE_POLLING_FILE_WATCHER";

    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    private readonly object _gate = new();
    private FileSystemWatcher? _watcher;
    private PhysicalFileProvider? _provider;
    private IDisposable? _pollSubscription;
    private readonly TimeProvider _time;
    private ITimer? _debounce;
    private bool _started;
    private bool _disposed;

    /// <summary>Creates the loader.</summary>
    /// <param name="filePath">The model zip or <c>.onnx</c> file; made absolute against the current directory.</param>
    /// <param name="timeProvider">The clock of the 300 ms debounce; the system clock when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="filePath"/> is null or empty.</exception>
    public FileModelLoader(string filePath, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        Path = System.IO.Path.GetFullPath(filePath);
        _time = timeProvider ?? TimeProvider.System;
        UsePollingFileWatcher = PollingRequestedByEnvironment();
    }

    /// <summary>Gets the absolute path of the model file.</summary>
    public string Path { get; }

    /// <summary>Gets or sets whether a change to the file signals a reload (default <see langword="true"/>, as in Microsoft.Extensions.ML).</summary>
    public bool WatchForChanges { get; init; } = true;

    /// <summary>Gets or sets whether the file is polled instead of watched through file system events; the default
    /// comes from <c>DOTNET_USE_POLLING_FILE_WATCHER</c>.</summary>
    public bool UsePollingFileWatcher { get; init; }

    /// <inheritdoc/>
    public override string Description => Path;

    /// <inheritdoc/>
    internal override string? FilePath => Path;

    /// <inheritdoc/>
    public override Task<Stream> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<Stream>(new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 81920, useAsync: true));
    }

    /// <inheritdoc/>
    public override IChangeToken GetReloadToken()
    {
        if (!WatchForChanges)
        {
            return NullChangeToken.Singleton;
        }

        StartWatching();
        return base.GetReloadToken();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _disposed = true;
                _watcher?.Dispose();
                _pollSubscription?.Dispose();
                _provider?.Dispose();
                _debounce?.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private static bool PollingRequestedByEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(PollingEnvironmentVariable);
        return value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));
    }

    private void StartWatching()
    {
        lock (_gate)
        {
            if (_started || _disposed)
            {
                return;
            }

            _started = true;
            _debounce = _time.CreateTimer(static state => ((FileModelLoader)state!).SignalReload(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            var folder = System.IO.Path.GetDirectoryName(Path)!;
            var name = System.IO.Path.GetFileName(Path);
            if (UsePollingFileWatcher)
            {
                _provider = new PhysicalFileProvider(folder) { UsePollingFileWatcher = true, UseActivePolling = true };
                _pollSubscription = ChangeToken.OnChange(() => _provider.Watch(name), OnChanged);
            }
            else
            {
                _watcher = new FileSystemWatcher(folder, name)
                {
                    NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
                };
                _watcher.Changed += (_, _) => OnChanged();
                _watcher.Created += (_, _) => OnChanged();
                _watcher.Renamed += (_, _) => OnChanged();

                // A deleted file signals too: the reload fails, so the model's status and health say the file is gone
                // while the loaded version keeps serving.
                _watcher.Deleted += (_, _) => OnChanged();
                _watcher.EnableRaisingEvents = true;
            }
        }
    }

    private void OnChanged()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _debounce?.Change(Debounce, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
