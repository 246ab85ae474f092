using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using MLNetInference.Core.Runtime;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Serving;

/// <summary>
/// Batches rows of raw model input tensors from many concurrent callers and runs each batch as one
/// <see cref="BatchRunner"/> call, with the pool's own policy: a bounded queue, a batch dispatched when full or when
/// its oldest row has waited <see cref="DynamicBatchingOptions.MaxQueueDelay"/>, rows of similar length grouped, and
/// one queue shared by every idle worker.
/// </summary>
/// <typeparam name="TResult">What a caller gets back for its row, read from the batch by the <c>readRow</c> delegate.</typeparam>
/// <remarks>
/// <para>Use it where requests arrive as tensors rather than typed objects: a protocol server, or a load generator
/// that must time exactly what the pool does. A row's length, for grouping, is its longest input in elements.</para>
/// <para>The batcher does not own the runners; dispose them after the batcher.</para>
/// </remarks>
public sealed class RowBatcher<TResult> : IAsyncDisposable
{
    private readonly DynamicBatcher<RowTensor[], TResult> _batcher;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the batcher and starts its dispatcher.</summary>
    /// <param name="name">A name for logs, metrics and errors.</param>
    /// <param name="workers">One runner per worker; every runner serves the same model inputs, in the same order.</param>
    /// <param name="readRow">Reads one row's result from a finished batch: the batch and the row's index in it.</param>
    /// <param name="options">The batching settings; <see cref="DynamicBatchingOptions.RequestTimeout"/> bounds each row.</param>
    /// <param name="logger">Receives the batcher's warnings; none by default.</param>
    /// <param name="timeProvider">The clock for queue delays and timeouts; the system clock by default.</param>
    /// <param name="meterFactory">Creates the meter the batcher records on (<see cref="PoolMetrics"/>); by default a
    /// process-wide meter of the same name.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="workers"/> is empty, or <paramref name="options"/> is invalid.</exception>
    public RowBatcher(
        string name,
        IReadOnlyList<BatchRunner> workers,
        Func<BatchResult, int, TResult> readRow,
        DynamicBatchingOptions options,
        ILogger? logger = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(readRow);
        ArgumentNullException.ThrowIfNull(options);
        if (workers.Count == 0)
        {
            throw new ArgumentException("A row batcher needs at least one worker.", nameof(workers));
        }

        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid batching options: {string.Join(" ", errors)}", nameof(options));
        }

        _timeout = options.RequestTimeout;
        _batcher = new DynamicBatcher<RowTensor[], TResult>(name, options, RowLength, logger, timeProvider, meterFactory is null ? null : new PoolInstruments(meterFactory));
        var executors = new IBatchExecutor<RowTensor[], TResult>[workers.Count];
        for (var i = 0; i < executors.Length; i++)
        {
            executors[i] = new RunnerExecutor(workers[i] ?? throw new ArgumentException("A worker is null.", nameof(workers)), readRow);
        }

        _batcher.SwapExecutors(new ExecutorSet<RowTensor[], TResult>(executors, owner: null, $"{executors.Length} row workers"));
    }

    /// <summary>Gets the number of rows waiting for a batch.</summary>
    public int QueueLength => _batcher.QueueLength;

    /// <summary>Queues one row; the task completes with its result once its batch has run.</summary>
    /// <param name="row">The row's tensors, one per model input in the runners' input order.</param>
    /// <param name="cancellationToken">Withdraws the row if it has not started running.</param>
    /// <returns>The row's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="row"/> is <see langword="null"/>.</exception>
    /// <exception cref="QueueFullException">The queue is full (thrown at once).</exception>
    /// <exception cref="ModelUnavailableException">The batcher is stopping.</exception>
    public Task<TResult> EnqueueAsync(RowTensor[] row, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(row);
        return _batcher.EnqueueAsync(row, _timeout, cancellationToken);
    }

    /// <summary>Stops taking rows, runs those already queued, and waits for running batches.</summary>
    /// <returns>A task that completes when the batcher has stopped.</returns>
    public ValueTask DisposeAsync() => _batcher.DisposeAsync();

    private static int RowLength(RowTensor[] row)
    {
        var longest = 0;
        foreach (var tensor in row)
        {
            longest = Math.Max(longest, tensor.Length);
        }

        return longest;
    }

    private sealed class RunnerExecutor(BatchRunner runner, Func<BatchResult, int, TResult> readRow) : IBatchExecutor<RowTensor[], TResult>
    {
        public void Execute(ReadOnlySpan<RowTensor[]> requests, Span<TResult> results)
        {
            var inputCount = runner.InputCount;
            var tensors = new RowTensor[requests.Length * inputCount];
            for (var i = 0; i < requests.Length; i++)
            {
                if (requests[i].Length != inputCount)
                {
                    throw new Core.InvalidInputException(runner.InputNames[0], $"A row carries {requests[i].Length} tensors; the model takes {inputCount} inputs ({string.Join(", ", runner.InputNames)}).", i);
                }

                requests[i].CopyTo(tensors, i * inputCount);
            }

            using var result = runner.Run(tensors);
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = readRow(result, i);
            }
        }
    }
}
