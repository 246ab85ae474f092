namespace MLNetInference.Serving.Internal;

/// <summary>One queued request: its payload, its completion, and the state that decides who completes it.</summary>
internal sealed class PendingRequest<TRequest, TResult>
{
    public const int Queued = 0;
    public const int Dispatched = 1;
    public const int Completed = 2;

    private int _state;

    public PendingRequest(TRequest request, int length, long enqueuedTimestamp)
    {
        Request = request;
        Length = length;
        EnqueuedTimestamp = enqueuedTimestamp;

        // PERF: continuations run on the thread pool, never inline on the batch worker.
        Completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public TRequest Request { get; }

    public int Length { get; }

    public long EnqueuedTimestamp { get; }

    public TaskCompletionSource<TResult> Completion { get; }

    public CancellationTokenRegistration CancellationRegistration { get; set; }

    public CancellationTokenSource? TimeoutSource { get; set; }

    public CancellationTokenRegistration TimeoutRegistration { get; set; }

    /// <summary>Moves a queued request to dispatched; false when it was cancelled or timed out first.</summary>
    public bool TryDispatch() => Interlocked.CompareExchange(ref _state, Dispatched, Queued) == Queued;

    /// <summary>Takes a request that is still queued out of service; false when it was already dispatched.</summary>
    public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Completed, Queued) == Queued;

    public bool IsQueued => Volatile.Read(ref _state) == Queued;

    public void ReleaseTimers()
    {
        CancellationRegistration.Dispose();
        TimeoutRegistration.Dispose();
        TimeoutSource?.Dispose();
    }
}
