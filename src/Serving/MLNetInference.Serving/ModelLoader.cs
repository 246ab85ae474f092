using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace MLNetInference.Serving;

/// <summary>
/// Where a model of a prediction engine pool comes from: its current content as a stream, and a signal when a new
/// version is available. Subclass it for a blob store, a database or any other source, and register it with
/// <c>FromLoader</c>; <c>FromFile</c> and <c>FromUri</c> use <see cref="FileModelLoader"/> and <see cref="UriModelLoader"/>.
/// </summary>
/// <remarks>
/// <para>The content is an ML.NET model zip (stock or MLNetInference's) or a raw <c>.onnx</c> file; the pool tells them
/// apart by the zip signature.</para>
/// <para>The pool calls <see cref="OpenAsync"/> for the first load, subscribes to <see cref="GetReloadToken"/>, and calls
/// <see cref="OpenAsync"/> again each time the token fires. A new version serves only once it has loaded; one that
/// fails to load leaves the previous version serving (status <see cref="ModelStatus.ReloadFailed"/>).</para>
/// <para>A subclass signals a new version with <see cref="SignalReload"/>, or overrides <see cref="GetReloadToken"/>.
/// The pool disposes the loaders of its models when it is disposed.</para>
/// </remarks>
public abstract class ModelLoader : IDisposable
{
    private CancellationTokenSource _reload = new();
    private int _disposed;

    /// <summary>Gets where the model comes from, for logs and errors (a path, a URI).</summary>
    public abstract string Description { get; }

    /// <summary>Gets the file the model is read from, when it is a local file: the pool then loads it by path, so
    /// ONNX external data files beside it are found.</summary>
    internal virtual string? FilePath => null;

    /// <summary>Opens the current version of the model. The pool reads the stream to its end and disposes it.</summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The model content.</returns>
    /// <exception cref="IOException">The content could not be read; the pool marks the load as failed.</exception>
    public abstract Task<Stream> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Gets a token that fires once when a new version is available; after it fires, the pool asks for a new one.</summary>
    /// <returns>The token.</returns>
    public virtual IChangeToken GetReloadToken()
    {
        try
        {
            return Volatile.Read(ref _disposed) != 0 ? NullChangeToken.Singleton : new CancellationChangeToken(Volatile.Read(ref _reload).Token);
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and the read: no more versions.
            return NullChangeToken.Singleton;
        }
    }

    /// <summary>Disposes the loader.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Fires the current reload token, so the pool opens the model again.</summary>
    protected void SignalReload()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var previous = Interlocked.Exchange(ref _reload, new CancellationTokenSource());
        try
        {
            previous.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The loader was disposed while signalling: nobody listens any more.
        }

        previous.Dispose();
    }

    /// <summary>Releases what the loader holds (watchers, timers, clients).</summary>
    /// <param name="disposing"><see langword="true"/> from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Volatile.Read(ref _reload).Dispose();
        }
    }
}
