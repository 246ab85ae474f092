namespace MLNetInference.Serving.Internal;

/// <summary>
/// Runs one batch on one worker (one session or engine). Called by one thread at a time per executor.
/// Throwing fails the whole batch; the batcher then splits it to find the request at fault.
/// </summary>
internal interface IBatchExecutor<TRequest, TResult>
{
    /// <summary>Computes <paramref name="results"/>[i] for <paramref name="requests"/>[i].</summary>
    void Execute(ReadOnlySpan<TRequest> requests, Span<TResult> results);
}
