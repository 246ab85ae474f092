using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// Cross-request dynamic batching for one model: a bounded queue with a single reader (the dispatcher), which
/// forms a batch when one is full or its oldest request has waited the maximum delay, and only when a worker is
/// free; the batch runs on that worker on the thread pool.
/// </summary>
/// <remarks>
/// <para>A cancelled or timed-out request that is still queued is withdrawn and never runs. A failing batch is split
/// in halves and retried, so only the request at fault fails. Workers belong to an <see cref="ExecutorSet{TRequest, TResult}"/>;
/// <see cref="SwapExecutors"/> retires the old set, whose sessions are disposed when its last batch finishes.</para>
/// </remarks>
internal sealed partial class DynamicBatcher<TRequest, TResult> : IAsyncDisposable
{
    private readonly string _modelName;
    private readonly DynamicBatchingOptions _options;
    private readonly Func<TRequest, int> _length;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<PendingRequest<TRequest, TResult>> _queue;
    private readonly object _idleLock = new();
    private readonly Queue<Worker> _idle = new();
    private readonly SemaphoreSlim _idleSignal = new(0);
    private readonly List<PendingRequest<TRequest, TResult>> _pending = [];
    private readonly KeyValuePair<string, object?> _tag;
    private readonly PoolInstruments _instruments;
    private readonly string _requestSpanName;
    private readonly string _queueSpanName;
    private readonly string _inferenceSpanName;
    private readonly Task _dispatcher;
    private readonly CancellationTokenSource _abort = new();
    private readonly object _inFlightLock = new();
    private readonly HashSet<Task> _inFlight = [];
    private ExecutorSet<TRequest, TResult>? _current;
    private int _queued;
    private bool _flushRemainder;
    private int _stopping;

    public DynamicBatcher(
        string modelName,
        DynamicBatchingOptions options,
        Func<TRequest, int> length,
        ILogger? logger = null,
        TimeProvider? timeProvider = null,
        PoolInstruments? instruments = null)
    {
        _modelName = modelName;
        _options = options;
        _length = length;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = instruments ?? PoolInstruments.Shared;
        _tag = new KeyValuePair<string, object?>(PoolMetrics.ModelNameAttribute, modelName);
        _requestSpanName = $"predict {modelName}";
        _queueSpanName = $"queue {modelName}";
        _inferenceSpanName = $"inference {modelName}";
        _queue = Channel.CreateBounded<PendingRequest<TRequest, TResult>>(new BoundedChannelOptions(options.MaxQueueLength * 2)
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // The dispatcher starts with an empty execution context: it must not inherit the constructing caller's
        // Activity.Current (or any other async-local), which would then parent every batch span.
        using (ExecutionContext.SuppressFlow())
        {
            _dispatcher = Task.Run(DispatchLoopAsync);
        }
    }

    /// <summary>Gets the number of requests waiting (queued, not yet dispatched).</summary>
    public int QueueLength => Volatile.Read(ref _queued);

    /// <summary>Gets the current worker set, or <see langword="null"/> before the first is installed.</summary>
    public ExecutorSet<TRequest, TResult>? CurrentExecutors => Volatile.Read(ref _current);

    /// <summary>Installs a new worker set and retires the previous one (hot reload).</summary>
    public void SwapExecutors(ExecutorSet<TRequest, TResult> executors)
    {
        var previous = Interlocked.Exchange(ref _current, executors);
        previous?.Retire();
        foreach (var executor in executors.Executors)
        {
            ReturnWorker(new Worker(executor, executors));
        }

        // Idle workers of the retired set leave service now; busy ones when their batch ends.
        lock (_idleLock)
        {
            for (var n = _idle.Count; n > 0; n--)
            {
                var worker = _idle.Dequeue();
                if (worker.Set.IsRetired)
                {
                    worker.Set.Release();
                }
                else
                {
                    _idle.Enqueue(worker);
                }
            }
        }
    }

    /// <summary>Queues a request; the task completes with its result, or fails with a typed exception.</summary>
    /// <exception cref="QueueFullException">The queue is full (thrown synchronously).</exception>
    /// <exception cref="ModelUnavailableException">The batcher is stopping.</exception>
    public Task<TResult> EnqueueAsync(TRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _stopping) != 0)
        {
            _instruments.Reject(_modelName, PoolErrorTypes.Unavailable);
            throw new ModelUnavailableException(_modelName, $"Model '{_modelName}' is shutting down and takes no new requests.");
        }

        cancellationToken.ThrowIfCancellationRequested();

        // The count of waiting requests is the limit: the channel also holds withdrawn requests until the dispatcher drains them.
        if (Interlocked.Increment(ref _queued) > _options.MaxQueueLength)
        {
            Interlocked.Decrement(ref _queued);
            _instruments.Reject(_modelName, PoolErrorTypes.QueueFull);
            throw new QueueFullException(_modelName, $"The queue of model '{_modelName}' is full ({_options.MaxQueueLength} requests waiting). Retry later, add workers, or raise MaxQueueLength.");
        }

        var pending = new PendingRequest<TRequest, TResult>(request, _length(request), _time.GetTimestamp());
        StartSpans(pending);

        // Callbacks are registered before the request becomes visible to the dispatcher, so a request that completes
        // at once still releases them (ReleaseTimers) instead of leaving its timeout timer to fire later.
        if (cancellationToken.CanBeCanceled)
        {
            pending.CancellationRegistration = cancellationToken.UnsafeRegister(
                static (state, token) => ((DynamicBatcher<TRequest, TResult>)((object[])state!)[0]).OnCancelled((PendingRequest<TRequest, TResult>)((object[])state!)[1], token),
                new object[] { this, pending });
        }

        if (timeout != Timeout.InfiniteTimeSpan)
        {
            var source = new CancellationTokenSource(timeout, _time);
            pending.TimeoutSource = source;
            pending.TimeoutRegistration = source.Token.UnsafeRegister(
                static state => ((DynamicBatcher<TRequest, TResult>)((object[])state!)[0]).OnTimedOut((PendingRequest<TRequest, TResult>)((object[])state!)[1]),
                new object[] { this, pending });
        }

        _instruments.QueuedRequests.Add(1, _tag);
        if (!_queue.Writer.TryWrite(pending))
        {
            var stopping = Volatile.Read(ref _stopping) != 0;
            var errorType = stopping ? PoolErrorTypes.Unavailable : PoolErrorTypes.QueueFull;
            if (pending.TryWithdraw())
            {
                Interlocked.Decrement(ref _queued);
                _instruments.QueuedRequests.Add(-1, _tag);
                StopSpan(pending.QueueActivity, errorType);
                StopSpan(pending.RequestActivity, errorType);
            }

            pending.ReleaseTimers();
            _instruments.Reject(_modelName, errorType);
            if (stopping)
            {
                throw new ModelUnavailableException(_modelName, $"Model '{_modelName}' is shutting down and takes no new requests.");
            }

            throw new QueueFullException(_modelName, $"The queue of model '{_modelName}' is full ({_options.MaxQueueLength} requests, withdrawn ones not yet drained). Retry later.");
        }

        return pending.Completion.Task;
    }

    /// <summary>Stops taking requests, drains the queue within the shutdown timeout, then fails what is left.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            await _dispatcher.ConfigureAwait(false);
            return;
        }

        _queue.Writer.TryComplete();
        if (Volatile.Read(ref _current) is null)
        {
            // No worker was ever installed (the model never loaded): nothing can drain.
            _abort.Cancel();
        }

        using var timeout = new CancellationTokenSource(_options.ShutdownTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await _dispatcher.WaitAsync(linked.Token).ConfigureAwait(false);
            Task[] running;
            lock (_inFlightLock)
            {
                running = [.. _inFlight];
            }

            await Task.WhenAll(running).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogShutdownTimedOut(_logger, _modelName, _options.ShutdownTimeout);
        }

        _abort.Cancel();

        // The dispatcher leaves at once when aborted; wait for it, so that it never drains the pending list while FailRemaining reads it.
        await _dispatcher.ConfigureAwait(false);
        FailRemaining();
        lock (_idleLock)
        {
            while (_idle.Count > 0)
            {
                _idle.Dequeue().Set.Release();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _abort.Dispose();
        _idleSignal.Dispose();
    }

    private async Task DispatchLoopAsync()
    {
        try
        {
            // A worker is taken only once a request waits: an idle dispatcher holds none, so a reload with no traffic
            // retires every worker of the old set at once and its sessions are disposed.
            while (await WaitForRequestsAsync().ConfigureAwait(false))
            {
                var worker = await NextLiveWorkerAsync().ConfigureAwait(false);
                if (worker is null)
                {
                    return;
                }

                var batch = await NextBatchAsync().ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    // Every pending request was withdrawn while the batch filled: give the worker back.
                    ReturnWorker(worker.Value);
                    continue;
                }

                if (worker.Value.Set.IsRetired)
                {
                    // The model was reloaded while this worker waited for requests: run on the new version.
                    worker.Value.Set.Release();
                    worker = await NextLiveWorkerAsync().ConfigureAwait(false);
                    if (worker is null)
                    {
                        FailBatch(batch);
                        return;
                    }
                }

                var task = Task.Run(() => RunBatch(worker.Value, batch));
                lock (_inFlightLock)
                {
                    _inFlight.Add(task);
                }

                _ = task.ContinueWith(
                    static (t, state) =>
                    {
                        var self = (DynamicBatcher<TRequest, TResult>)state!;
                        lock (self._inFlightLock)
                        {
                            self._inFlight.Remove(t);
                        }
                    },
                    this,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Shutdown gave up waiting; FailRemaining completes what is left.
        }
        catch (Exception ex)
        {
            LogDispatcherFailed(_logger, ex, _modelName);
            FailRemaining();
        }
    }

    private async Task<Worker?> NextLiveWorkerAsync()
    {
        while (true)
        {
            await _idleSignal.WaitAsync(_abort.Token).ConfigureAwait(false);
            Worker worker;
            lock (_idleLock)
            {
                if (_idle.Count == 0)
                {
                    continue; // a retired worker was swept out after it was signalled
                }

                worker = _idle.Dequeue();
            }

            if (!worker.Set.IsRetired)
            {
                return worker;
            }

            // A retired worker leaves service as soon as it is idle.
            worker.Set.Release();
        }
    }

    /// <summary>Waits until a request is pending; false when the queue is completed and empty.</summary>
    private async Task<bool> WaitForRequestsAsync()
    {
        Drain();
        while (_pending.Count == 0)
        {
            if (!await _queue.Reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                return false;
            }

            Drain();
        }

        return true;
    }

    /// <summary>Returns the next batch once it is full or its oldest request has waited the maximum delay; empty when every pending request was withdrawn.</summary>
    private async Task<List<PendingRequest<TRequest, TResult>>> NextBatchAsync()
    {
        // Wait for the batch to fill, up to the oldest request's deadline.
        Drain();
        if (_pending.Count == 0 || _pending.Count >= _options.MaxBatchSize || _flushRemainder)
        {
            return TakeBatch();
        }

        var remaining = _options.MaxQueueDelay - _time.GetElapsedTime(_pending[0].EnqueuedTimestamp);
        if (remaining > TimeSpan.Zero)
        {
            // PERF: one timer per batch (the oldest request's deadline), not one per arriving request.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            var delay = Task.Delay(remaining, _time, deadline.Token);
            while (_pending.Count > 0 && _pending.Count < _options.MaxBatchSize)
            {
                var arrival = _queue.Reader.WaitToReadAsync(_abort.Token).AsTask();
                var first = await Task.WhenAny(arrival, delay).ConfigureAwait(false);
                if (first == delay || !await arrival.ConfigureAwait(false))
                {
                    break; // the deadline passed, or the queue completed: dispatch what we have
                }

                Drain();
            }

            deadline.Cancel();
            _abort.Token.ThrowIfCancellationRequested();
        }

        return TakeBatch();
    }

    private void Drain()
    {
        while (_queue.Reader.TryRead(out var pending))
        {
            _pending.Add(pending);
        }

        // Withdrawn (cancelled or timed-out) requests leave the pending list here.
        _pending.RemoveAll(static p => !p.IsQueued);
    }

    private List<PendingRequest<TRequest, TResult>> TakeBatch()
    {
        // Share the waiting requests among this worker and the idle ones, so that one worker does not take the whole
        // queue while the others (other cores, other devices) sit idle.
        int idle;
        lock (_idleLock)
        {
            idle = _idle.Count;
        }

        var share = (_pending.Count + idle) / (idle + 1);
        var count = Math.Min(_options.MaxBatchSize, Math.Max(1, share));

        // The requests left behind by the share were ready to go too: the next batch takes them without waiting.
        _flushRemainder = count < Math.Min(_options.MaxBatchSize, _pending.Count);
        int start = 0;
        List<PendingRequest<TRequest, TResult>> chosen;
        if (count == 0)
        {
            return [];
        }

        if (!_options.GroupByLength || count == _pending.Count)
        {
            chosen = _pending.GetRange(0, count);
            _pending.RemoveRange(0, count);
        }
        else
        {
            // The oldest request always goes; the rest are those closest to it in length, so the batch pads little.
            var order = new int[_pending.Count];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            Array.Sort(order, (a, b) => _pending[a].Length != _pending[b].Length ? _pending[a].Length.CompareTo(_pending[b].Length) : a.CompareTo(b));
            var oldest = Array.IndexOf(order, 0);
            var bestSpread = int.MaxValue;
            for (var s = Math.Max(0, oldest - count + 1); s <= Math.Min(oldest, order.Length - count); s++)
            {
                var spread = _pending[order[s + count - 1]].Length - _pending[order[s]].Length;
                if (spread < bestSpread)
                {
                    bestSpread = spread;
                    start = s;
                }
            }

            var take = new bool[_pending.Count];
            for (var i = start; i < start + count; i++)
            {
                take[order[i]] = true;
            }

            chosen = new List<PendingRequest<TRequest, TResult>>(count);
            var kept = new List<PendingRequest<TRequest, TResult>>(_pending.Count - count);
            for (var i = 0; i < _pending.Count; i++)
            {
                (take[i] ? chosen : kept).Add(_pending[i]);
            }

            _pending.Clear();
            _pending.AddRange(kept);
        }

        // Claim each request; one cancelled in the meantime is dropped.
        chosen.RemoveAll(p => !TryClaim(p));
        return chosen;
    }

    private bool TryClaim(PendingRequest<TRequest, TResult> pending)
    {
        if (!pending.TryDispatch())
        {
            return false;
        }

        Interlocked.Decrement(ref _queued);
        _instruments.QueuedRequests.Add(-1, _tag);
        _instruments.QueueDuration.Record(_time.GetElapsedTime(pending.EnqueuedTimestamp).TotalSeconds, _tag);
        StopSpan(pending.QueueActivity, errorType: null);
        return true;
    }

    private void RunBatch(Worker worker, List<PendingRequest<TRequest, TResult>> batch)
    {
        // PERF: no span, links or tags are built unless a listener samples this source.
        var span = PoolInstruments.ActivitySource.HasListeners() ? StartBatchSpan(batch) : null;
        try
        {
            _instruments.BatchSize.Record(batch.Count, _tag);
            var requests = new TRequest[batch.Count];
            for (var i = 0; i < requests.Length; i++)
            {
                requests[i] = batch[i].Request;
            }

            var results = new TResult[batch.Count];
            RunIsolated(worker.Executor, requests, results, batch, 0, batch.Count, span);
        }
        finally
        {
            span?.Stop();
            ReturnWorker(worker);
        }
    }

    /// <summary>Starts a batch's span: the oldest request's span is its parent, and it links to every request it serves.</summary>
    private Activity? StartBatchSpan(List<PendingRequest<TRequest, TResult>> batch)
    {
        ActivityContext parent = default;
        List<ActivityLink>? links = null;
        foreach (var pending in batch)
        {
            if (pending.RequestActivity is { } request)
            {
                if (links is null)
                {
                    parent = request.Context;
                    links = new List<ActivityLink>(batch.Count);
                }

                links.Add(new ActivityLink(request.Context));
            }
        }

        var span = PoolInstruments.ActivitySource.StartActivity(PoolTracing.InferenceActivityName, ActivityKind.Internal, parent, tags: null, links: links);
        if (span is not null)
        {
            span.DisplayName = _inferenceSpanName;
            span.SetTag(PoolMetrics.ModelNameAttribute, _modelName);
            span.SetTag(PoolTracing.BatchSizeAttribute, batch.Count);
        }

        return span;
    }

    /// <summary>Starts a request's span under the caller's current activity, and its queue span under it; the caller's current activity is left as it was.</summary>
    private void StartSpans(PendingRequest<TRequest, TResult> pending)
    {
        var source = PoolInstruments.ActivitySource;
        if (!source.HasListeners())
        {
            return;
        }

        var previous = Activity.Current;
        var request = source.StartActivity(PoolTracing.RequestActivityName, ActivityKind.Internal);
        if (request is null)
        {
            return;
        }

        request.DisplayName = _requestSpanName;
        request.SetTag(PoolMetrics.ModelNameAttribute, _modelName);
        pending.RequestActivity = request;
        var queue = source.StartActivity(PoolTracing.QueueActivityName, ActivityKind.Internal, request.Context);
        if (queue is not null)
        {
            queue.DisplayName = _queueSpanName;
            queue.SetTag(PoolMetrics.ModelNameAttribute, _modelName);
            pending.QueueActivity = queue;
        }

        // EnqueueAsync is not async: without this, the request span would stay current in the caller's context.
        Activity.Current = previous;
    }

    /// <summary>Stops a span (marked failed when <paramref name="errorType"/> is set) without changing the current activity of this thread.</summary>
    private static void StopSpan(Activity? activity, string? errorType, Exception? exception = null)
    {
        if (activity is null)
        {
            return;
        }

        if (errorType is not null)
        {
            activity.SetTag(PoolMetrics.ErrorTypeAttribute, errorType);
            activity.SetStatus(ActivityStatusCode.Error, exception?.Message ?? errorType);
        }

        var current = Activity.Current;
        activity.Stop();
        if (Activity.Current != current)
        {
            Activity.Current = current;
        }
    }

    /// <summary>Records a finished request (once, by whoever claimed its completion, before it completes the task) and ends its span.</summary>
    private void Finished(PendingRequest<TRequest, TResult> pending, string? errorType, Exception? exception = null)
    {
        var seconds = _time.GetElapsedTime(pending.EnqueuedTimestamp).TotalSeconds;
        if (errorType is null)
        {
            _instruments.RequestDuration.Record(seconds, _tag);
        }
        else
        {
            _instruments.RequestDuration.Record(seconds, new TagList { _tag, new(PoolMetrics.ErrorTypeAttribute, errorType) });
        }

        StopSpan(pending.RequestActivity, errorType, exception);
    }

    private void Succeed(PendingRequest<TRequest, TResult> pending, TResult result)
    {
        pending.ReleaseTimers();
        if (pending.TryClaimCompletion())
        {
            Finished(pending, errorType: null);
            pending.Completion.TrySetResult(result);
        }
    }

    private void Fail(PendingRequest<TRequest, TResult> pending, Exception exception, string errorType)
    {
        pending.ReleaseTimers();
        if (pending.TryClaimCompletion())
        {
            Finished(pending, errorType, exception);
            pending.Completion.TrySetException(exception);
        }
    }

    /// <summary>Runs a slice of a batch; when it fails, splits it in halves until the failing request is alone.</summary>
    private void RunIsolated(IBatchExecutor<TRequest, TResult> executor, TRequest[] requests, TResult[] results, List<PendingRequest<TRequest, TResult>> batch, int start, int count, Activity? span)
    {
        var started = _time.GetTimestamp();
        try
        {
            executor.Execute(requests.AsSpan(start, count), results.AsSpan(start, count));
        }
        catch (Exception ex)
        {
            // The failed run is measured on its own, before the halves run.
            var errorType = PoolErrorTypes.Of(ex);
            _instruments.InferenceDuration.Record(_time.GetElapsedTime(started).TotalSeconds, new TagList { _tag, new(PoolMetrics.ErrorTypeAttribute, errorType) });
            span?.AddException(ex);
            if (count > 1)
            {
                LogBatchSplit(_logger, _modelName, count, ex.Message);
                var half = count / 2;
                RunIsolated(executor, requests, results, batch, start, half, span);
                RunIsolated(executor, requests, results, batch, start + half, count - half, span);
                return;
            }

            Fail(batch[start], ex, errorType);
            return;
        }

        _instruments.InferenceDuration.Record(_time.GetElapsedTime(started).TotalSeconds, _tag);
        for (var i = start; i < start + count; i++)
        {
            Succeed(batch[i], results[i]);
        }
    }

    private void ReturnWorker(Worker worker)
    {
        lock (_idleLock)
        {
            if (!worker.Set.IsRetired && !_abort.IsCancellationRequested)
            {
                _idle.Enqueue(worker);
                _idleSignal.Release();
                return;
            }
        }

        worker.Set.Release();
    }

    private void FailBatch(List<PendingRequest<TRequest, TResult>> batch)
    {
        foreach (var pending in batch)
        {
            Fail(pending, new ModelUnavailableException(_modelName, $"Model '{_modelName}' shut down before the request ran."), PoolErrorTypes.Shutdown);
        }
    }

    private void OnCancelled(PendingRequest<TRequest, TResult> pending, CancellationToken token)
    {
        if (pending.TryWithdraw())
        {
            Interlocked.Decrement(ref _queued);
            _instruments.QueuedRequests.Add(-1, _tag);
            StopSpan(pending.QueueActivity, PoolErrorTypes.Cancelled);
        }

        // A dispatched request still runs, but its caller stops waiting.
        if (pending.TryClaimCompletion())
        {
            Finished(pending, PoolErrorTypes.Cancelled);
            pending.Completion.TrySetCanceled(token);
        }

        pending.ReleaseTimers();
    }

    private void OnTimedOut(PendingRequest<TRequest, TResult> pending)
    {
        var wasQueued = pending.TryWithdraw();
        if (wasQueued)
        {
            Interlocked.Decrement(ref _queued);
            _instruments.QueuedRequests.Add(-1, _tag);
            StopSpan(pending.QueueActivity, PoolErrorTypes.Timeout);
        }

        var where = wasQueued ? "while queued" : "while running";
        var timeout = new PredictionTimeoutException(_modelName, $"The request to model '{_modelName}' did not complete within its timeout ({where}).");
        if (pending.TryClaimCompletion())
        {
            Finished(pending, PoolErrorTypes.Timeout, timeout);
            pending.Completion.TrySetException(timeout);
        }

        pending.ReleaseTimers();
    }

    private void FailRemaining()
    {
        while (_queue.Reader.TryRead(out var pending))
        {
            _pending.Add(pending);
        }

        foreach (var pending in _pending)
        {
            if (pending.TryWithdraw())
            {
                Interlocked.Decrement(ref _queued);
                _instruments.QueuedRequests.Add(-1, _tag);
                StopSpan(pending.QueueActivity, PoolErrorTypes.Shutdown);
                Fail(pending, new ModelUnavailableException(_modelName, $"Model '{_modelName}' shut down before the request ran."), PoolErrorTypes.Shutdown);
            }
        }

        _pending.Clear();
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "A batch of {Count} requests to model '{ModelName}' failed ({Reason}); splitting it to isolate the failing request.")]
    private static partial void LogBatchSplit(ILogger logger, string modelName, int count, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Model '{ModelName}' did not drain within {Timeout}; failing the requests left.")]
    private static partial void LogShutdownTimedOut(ILogger logger, string modelName, TimeSpan timeout);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "The dispatcher of model '{ModelName}' failed.")]
    private static partial void LogDispatcherFailed(ILogger logger, Exception exception, string modelName);

    private readonly record struct Worker(IBatchExecutor<TRequest, TResult> Executor, ExecutorSet<TRequest, TResult> Set);
}
