using System.Diagnostics;

namespace MLNetInference.Serving.Internal;

/// <summary>One queued request: its payload, its completion, and the state that decides who completes it.</summary>
internal sealed class PendingRequest<TRequest, TResult>
{
    public const int Queued = 0;
    public const int Dispatched = 1;
    public const int Completed = 2;

    private int _state;
    private int _finished;

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

    /// <summary>Gets or sets the request's span, from queueing to its result; <see langword="null"/> when nobody listens.</summary>
    public Activity? RequestActivity { get; set; }

    /// <summary>Gets or sets the span of the request's time in the queue; stopped by whoever takes the request out of the queue.</summary>
    public Activity? QueueActivity { get; set; }

    /// <summary>Moves a queued request to dispatched; false when it was cancelled or timed out first.</summary>
    public bool TryDispatch() => Interlocked.CompareExchange(ref _state, Dispatched, Queued) == Queued;

    /// <summary>Takes a request that is still queued out of service; false when it was already dispatched.</summary>
    public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Completed, Queued) == Queued;

    public bool IsQueued => Volatile.Read(ref _state) == Queued;

    /// <summary>Claims the right to complete the request (result, failure or cancellation); true for exactly one caller.</summary>
    /// <remarks>The winner records the request's metrics and ends its span before it completes the task, so whoever
    /// awaits the task sees them already recorded.</remarks>
    public bool TryClaimCompletion() => Interlocked.Exchange(ref _finished, 1) == 0;

    public void ReleaseTimers()
    {
        CancellationRegistration.Dispose();
        TimeoutRegistration.Dispose();
        TimeoutSource?.Dispose();
    }
}
