namespace MLNetInference.Serving.Tests.Internal;

/// <summary>Stands in for a loaded model's sessions: counts how often it is disposed.</summary>
internal sealed class CountingOwner : IDisposable
{
    private int _disposals;

    public int Disposals => Volatile.Read(ref _disposals);

    public bool IsDisposed => Disposals > 0;

    public void Dispose() => Interlocked.Increment(ref _disposals);
}
