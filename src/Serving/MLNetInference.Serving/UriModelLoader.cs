using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace MLNetInference.Serving;

/// <summary>
/// Loads a model from an HTTP(S) URL and checks it again every period with a conditional request
/// (<c>If-None-Match</c> with the last <c>ETag</c>, <c>If-Modified-Since</c> with the last <c>Last-Modified</c>).
/// A <c>304 Not Modified</c> changes nothing; a new version is downloaded and the pool reloads from it. <c>FromUri</c>
/// uses it with a client from <c>IHttpClientFactory</c>.
/// </summary>
/// <remarks>
/// <para>The period runs on the <see cref="TimeProvider"/> given (the system clock by default), and checks start after the
/// first load. Checks never overlap. A failed check (network error, non-success status) is logged and changes
/// nothing; the next period tries again.</para>
/// <para>A downloaded version that does not load leaves the previous one serving, and the pool reports
/// <see cref="ModelStatus.ReloadFailed"/>; the loader waits for the server's next change before trying again.</para>
/// </remarks>
public sealed partial class UriModelLoader : ModelLoader
{
    /// <summary>The name of the <c>IHttpClientFactory</c> client <c>FromUri</c> uses unless told another.</summary>
    public const string HttpClientName = "MLNetInference.Serving.UriModelLoader";

    private readonly HttpClient _client;
    private readonly TimeSpan _period;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private ITimer? _timer;
    private byte[]? _content;
    private EntityTagHeaderValue? _etag;
    private DateTimeOffset? _lastModified;
    private int _checking;
    private int _checks;
    private bool _disposed;

    /// <summary>Creates the loader.</summary>
    /// <param name="httpClient">The client requests go through; the loader does not dispose it.</param>
    /// <param name="uri">The absolute HTTP(S) address of the model zip or <c>.onnx</c> file.</param>
    /// <param name="period">How often to check for a new version.</param>
    /// <param name="timeProvider">The clock of the period; the system clock when <see langword="null"/>.</param>
    /// <param name="logger">Receives failed checks and new versions; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="httpClient"/> or <paramref name="uri"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="uri"/> is not an absolute HTTP(S) address.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive.</exception>
    public UriModelLoader(HttpClient httpClient, Uri uri, TimeSpan period, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The model address must be an absolute http or https URI (was '{uri}').", nameof(uri));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _client = httpClient;
        Uri = uri;
        _period = period;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the model's address.</summary>
    public Uri Uri { get; }

    /// <inheritdoc/>
    public override string Description => Uri.ToString();

    /// <summary>Gets how many periodic checks have completed, whatever their outcome.</summary>
    internal int CompletedChecks => Volatile.Read(ref _checks);

    /// <summary>Returns the last downloaded version; downloads it first when there is none yet.</summary>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The content.</returns>
    /// <exception cref="IOException">The download failed; the message names the address and the status.</exception>
    public override async Task<Stream> OpenAsync(CancellationToken cancellationToken)
    {
        var content = Volatile.Read(ref _content);
        if (content is null)
        {
            await CheckAsync(conditional: false, cancellationToken).ConfigureAwait(false);
            content = Volatile.Read(ref _content) ?? throw new IOException($"No model content was downloaded from '{Uri}'.");
        }

        return new MemoryStream(content, writable: false);
    }

    /// <inheritdoc/>
    public override IChangeToken GetReloadToken()
    {
        lock (_gate)
        {
            if (_timer is null && !_disposed)
            {
                _timer = _time.CreateTimer(static state => ((UriModelLoader)state!).OnPeriod(), this, _period, _period);
            }
        }

        return base.GetReloadToken();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _disposed = true;
                    _timer?.Dispose();
                    _stopping.Cancel();
                    _stopping.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private void OnPeriod()
    {
        if (Interlocked.Exchange(ref _checking, 1) != 0)
        {
            return;
        }

        _ = PeriodicCheckAsync();
    }

    private async Task PeriodicCheckAsync()
    {
        try
        {
            CancellationToken token;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                token = _stopping.Token;
            }

            if (await CheckAsync(conditional: true, token).ConfigureAwait(false))
            {
                LogNewVersion(_logger, Uri, _etag?.Tag);
                SignalReload();
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed while checking.
        }
        catch (IOException ex)
        {
            LogCheckFailed(_logger, ex, Uri);
        }
        finally
        {
            Interlocked.Increment(ref _checks);
            Volatile.Write(ref _checking, 0);
        }
    }

    /// <summary>Downloads the model unless the server says it has not changed.</summary>
    /// <returns><see langword="true"/> when new content was stored.</returns>
    private async Task<bool> CheckAsync(bool conditional, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Uri);
        if (conditional)
        {
            if (_etag is { } etag)
            {
                request.Headers.IfNoneMatch.Add(etag);
            }

            if (_lastModified is { } lastModified)
            {
                request.Headers.IfModifiedSince = lastModified;
            }
        }

        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return false;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new IOException($"Downloading the model from '{Uri}' answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var etagChanged = response.Headers.ETag is { } newTag && _etag is { } oldTag ? newTag.Tag != oldTag.Tag : true;
            if (conditional && !etagChanged && _content is { } previous && previous.AsSpan().SequenceEqual(content))
            {
                // A server that ignores conditional requests: the same content again is no new version.
                return false;
            }

            _etag = response.Headers.ETag;
            _lastModified = response.Content.Headers.LastModified;
            Volatile.Write(ref _content, content);
            return true;
        }
        catch (HttpRequestException ex)
        {
            throw new IOException($"Downloading the model from '{Uri}' failed: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"Downloading the model from '{Uri}' timed out.", ex);
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "A new model version was downloaded from '{Uri}' (ETag {ETag}).")]
    private static partial void LogNewVersion(ILogger logger, Uri uri, string? etag);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "Checking '{Uri}' for a new model version failed; the current version keeps serving.")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, Uri uri);
}
