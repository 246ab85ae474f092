namespace MLNetInference.Serving.Internal;

/// <summary>
/// One generation of batch workers over one loaded model. The owner (the model's sessions) is disposed once the
/// set is retired and its last running batch has finished, so a reload never disposes a session under a batch.
/// </summary>
internal sealed class ExecutorSet<TRequest, TResult>
{
    private readonly IDisposable? _owner;
    private int _outstanding;
    private int _retired;
    private int _disposed;

    public ExecutorSet(IReadOnlyList<IBatchExecutor<TRequest, TResult>> executors, IDisposable? owner, string description)
    {
        if (executors.Count == 0)
        {
            throw new ArgumentException("A worker set needs at least one executor.", nameof(executors));
        }

        Executors = executors;
        _owner = owner;
        Description = description;
        _outstanding = executors.Count;
    }

    public IReadOnlyList<IBatchExecutor<TRequest, TResult>> Executors { get; }

    /// <summary>What the set disposes when it leaves service.</summary>
    public IDisposable? Owner => _owner;

    public string Description { get; }

    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Marks the set retired; its executors are dropped as they come back idle.</summary>
    public void Retire() => Volatile.Write(ref _retired, 1);

    /// <summary>Called once per executor when it leaves service; the last one disposes the owner.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0 && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner?.Dispose();
        }
    }
}
