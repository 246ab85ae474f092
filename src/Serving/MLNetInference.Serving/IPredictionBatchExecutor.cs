namespace MLNetInference.Serving;

/// <summary>
/// Runs the batches of a pooled model somewhere other than a local ONNX session, for example on a remote Open
/// Inference Protocol server. The pool still forms the batches (queue, delay, size, length grouping) and completes
/// each caller's task; register one with <c>FromExecutor</c>.
/// </summary>
/// <typeparam name="TData">The input row type.</typeparam>
/// <typeparam name="TPrediction">The prediction row type.</typeparam>
/// <remarks>Each worker of the model gets its own executor and calls it from one thread at a time, on the thread
/// pool. Throwing fails the batch, which the pool then splits to find the request at fault. An executor that is
/// <see cref="IDisposable"/> is disposed when the pool stops.</remarks>
public interface IPredictionBatchExecutor<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    /// <summary>Computes <paramref name="results"/>[i] for <paramref name="requests"/>[i].</summary>
    /// <param name="requests">The batch.</param>
    /// <param name="results">Receives one prediction per request.</param>
    void Execute(ReadOnlySpan<TData> requests, Span<TPrediction> results);
}
