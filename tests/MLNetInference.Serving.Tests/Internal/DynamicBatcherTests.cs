using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using MLNetInference.Serving;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Serving.Tests.Internal;

/// <summary>
/// Deterministic tests of the dynamic batcher: time is a <see cref="FakeTimeProvider"/>, workers are
/// <see cref="RecordingExecutor"/>s held behind gates, and waits on the dispatcher thread poll a condition with a bound.
/// </summary>
[TestClass]
public sealed class DynamicBatcherTests
{
    /// <summary>A hang guard only: every wait here ends on an event the test causes, never on elapsed time. A busy machine
    /// (other builds on both cores) can hold the thread pool for seconds, so the guard is generous.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NoTimeout = Timeout.InfiniteTimeSpan;

    private readonly List<RecordingExecutor> _executors = [];
    private readonly List<DynamicBatcher<string, string>> _batchers = [];

    public TestContext TestContext { get; set; } = null!;

    [TestCleanup]
    public async Task Cleanup()
    {
        // Open every gate first, so that stopping drains instead of waiting on a held batch.
        foreach (var executor in _executors)
        {
            executor.Release();
        }

        foreach (var batcher in _batchers)
        {
            await batcher.DisposeAsync().AsTask().WaitAsync(Bound);
        }
    }

    [TestMethod]
    public async Task EnqueueAsync_TenRequestsBehindBusyWorker_RunInBatchesOfMaxBatchSize()
    {
        var worker = Executor(blocked: true);
        var batcher = Start(new() { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.Zero, GroupByLength = false }, new FakeTimeProvider(), worker);
        var blocker = await OccupyAsync(batcher, worker);
        string[] requests = [.. Enumerable.Range(0, 10).Select(i => $"q{i}")];

        var tasks = requests.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None)).ToArray();
        Assert.AreEqual(10, batcher.QueueLength);
        worker.Release();
        var results = await Task.WhenAll(tasks).WaitAsync(Bound);

        CollectionAssert.AreEqual(requests.Select(RecordingExecutor.ResultFor).ToArray(), results);
        Assert.AreEqual(RecordingExecutor.ResultFor("blocker"), await blocker.WaitAsync(Bound));
        var batches = worker.Batches;
        Assert.HasCount(4, batches);
        CollectionAssert.AreEqual(new[] { "q0", "q1", "q2", "q3" }, batches[1]);
        CollectionAssert.AreEqual(new[] { "q4", "q5", "q6", "q7" }, batches[2]);
        CollectionAssert.AreEqual(new[] { "q8", "q9" }, batches[3]);
        Assert.AreEqual(0, batcher.QueueLength);
    }

    [TestMethod]
    public async Task EnqueueAsync_FewerThanMaxBatchSize_DispatchesOnlyAfterMaxQueueDelay()
    {
        var time = new TimerCountingTimeProvider();
        var worker = Executor();
        var batcher = Start(new() { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromMilliseconds(10) }, time, worker);

        var first = batcher.EnqueueAsync("a", NoTimeout, CancellationToken.None);
        var second = batcher.EnqueueAsync("b", NoTimeout, CancellationToken.None);
        await WaitUntilAsync(() => time.TimersCreated > 0, "the dispatcher to wait on the queue delay");
        time.Advance(TimeSpan.FromMilliseconds(9));

        Assert.IsEmpty(worker.Batches, "nothing may run before the oldest request has waited MaxQueueDelay");
        Assert.AreEqual(2, batcher.QueueLength);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitUntilAsync(() => worker.Batches.Count > 0, "the batch after the delay");
        Assert.AreEqual(RecordingExecutor.ResultFor("a"), await first.WaitAsync(Bound));
        Assert.AreEqual(RecordingExecutor.ResultFor("b"), await second.WaitAsync(Bound));
        Assert.HasCount(1, worker.Batches);
        CollectionAssert.AreEqual(new[] { "a", "b" }, worker.Batches[0]);
    }

    [TestMethod]
    public async Task EnqueueAsync_FullBatchWithTwoIdleWorkers_SplitsItBetweenThem()
    {
        var time = new FakeTimeProvider();
        var first = Executor();
        var second = Executor();
        var batcher = new DynamicBatcher<string, string>("m", new() { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromHours(1), GroupByLength = false }, static s => s.Length, timeProvider: time);
        _batchers.Add(batcher);
        batcher.SwapExecutors(new ExecutorSet<string, string>([first, second], null, "two workers"));
        string[] requests = [.. Enumerable.Range(0, 8).Select(i => $"q{i}")];

        // Time never moves: the full batch goes at once, shared by both workers, remainder included.
        var results = await Task.WhenAll(requests.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None))).WaitAsync(Bound);

        CollectionAssert.AreEqual(requests.Select(RecordingExecutor.ResultFor).ToArray(), results);
        var sizes = first.Batches.Concat(second.Batches).Select(b => b.Length).Order().ToArray();
        CollectionAssert.AreEqual(new[] { 4, 4 }, sizes, "eight requests, two idle workers: two batches of four");
    }

    [TestMethod]
    public async Task EnqueueAsync_FullBatch_DispatchesWithoutWaitingForTheDelay()
    {
        var time = new FakeTimeProvider();
        var worker = Executor();
        var batcher = Start(new() { MaxBatchSize = 3, MaxQueueDelay = TimeSpan.FromHours(1) }, time, worker);

        // Time never moves: only a full batch can be dispatched.
        var tasks = new[] { "a", "b", "c" }.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None)).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(Bound);

        CollectionAssert.AreEqual(new[] { "r:a", "r:b", "r:c" }, results);
        Assert.HasCount(1, worker.Batches);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, worker.Batches[0]);
    }

    [TestMethod]
    [DataRow(true, new[] { "5", "6", "4" }, new[] { "100", "101", "99" })]
    [DataRow(false, new[] { "5", "100", "6" }, new[] { "101", "4", "99" })]
    public async Task EnqueueAsync_MixedLengthsBehindBusyWorker_BatchesFollowGroupByLength(bool groupByLength, string[] firstBatch, string[] secondBatch)
    {
        var worker = Executor(blocked: true);
        var options = new DynamicBatchingOptions { MaxBatchSize = 3, MaxQueueDelay = TimeSpan.Zero, GroupByLength = groupByLength };
        var batcher = Start(options, new FakeTimeProvider(), worker, length: int.Parse);
        var blocker = await OccupyAsync(batcher, worker, request: "1");

        var tasks = new[] { "5", "100", "6", "101", "4", "99" }.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None)).ToArray();
        worker.Release();
        await Task.WhenAll(tasks).WaitAsync(Bound);

        await blocker.WaitAsync(Bound);
        var batches = worker.Batches;
        Assert.HasCount(3, batches);
        CollectionAssert.AreEqual(firstBatch, batches[1], "the oldest request (length 5) goes first, with its nearest lengths when grouping");
        CollectionAssert.AreEqual(secondBatch, batches[2]);
    }

    [TestMethod]
    public async Task EnqueueAsync_QueuedRequestCancelled_IsCanceledAndNeverRuns()
    {
        var worker = Executor(blocked: true);
        var batcher = Start(new() { MaxQueueDelay = TimeSpan.Zero }, new FakeTimeProvider(), worker);
        await OccupyAsync(batcher, worker);
        using var cancel = new CancellationTokenSource();

        var cancelled = batcher.EnqueueAsync("cancelled", NoTimeout, cancel.Token);
        var kept = batcher.EnqueueAsync("kept", NoTimeout, CancellationToken.None);
        Assert.AreEqual(2, batcher.QueueLength);
        await cancel.CancelAsync();

        Assert.IsTrue(cancelled.IsCanceled, $"the cancelled request should be canceled, was {cancelled.Status}");
        Assert.AreEqual(1, batcher.QueueLength, "a withdrawn request leaves the queue at once");
        await Assert.ThrowsExactlyAsync<TaskCanceledException>(() => cancelled);
        worker.Release();
        Assert.AreEqual("r:kept", await kept.WaitAsync(Bound));
        CollectionAssert.DoesNotContain(worker.Seen.ToArray(), "cancelled");
        Assert.AreEqual(0, batcher.QueueLength);
    }

    [TestMethod]
    public async Task EnqueueAsync_RequestTimesOutWhileQueued_FailsWithPredictionTimeoutAndNeverRuns()
    {
        var time = new FakeTimeProvider();
        var worker = Executor(blocked: true);
        var batcher = Start(new() { MaxQueueDelay = TimeSpan.Zero }, time, worker);
        await OccupyAsync(batcher, worker);

        var late = batcher.EnqueueAsync("late", TimeSpan.FromMilliseconds(50), CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(49));
        Assert.IsFalse(late.IsCompleted, "the request should still wait 1 ms before its timeout");
        time.Advance(TimeSpan.FromMilliseconds(1));

        var error = await Assert.ThrowsExactlyAsync<PredictionTimeoutException>(() => late.WaitAsync(Bound));
        Assert.AreEqual("m", error.ModelName);
        Assert.AreEqual(0, batcher.QueueLength);
        worker.Release();
        Assert.AreEqual("r:after", await batcher.EnqueueAsync("after", NoTimeout, CancellationToken.None).WaitAsync(Bound));
        CollectionAssert.DoesNotContain(worker.Seen.ToArray(), "late");
    }

    [TestMethod]
    public async Task EnqueueAsync_QueueFull_ThrowsQueueFullExceptionSynchronously()
    {
        var worker = Executor(blocked: true);
        var batcher = Start(new() { MaxQueueLength = 3, MaxQueueDelay = TimeSpan.Zero }, new FakeTimeProvider(), worker);
        await OccupyAsync(batcher, worker);
        var waiting = new[] { "a", "b", "c" }.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None)).ToArray();

        var error = Assert.ThrowsExactly<QueueFullException>(() => { _ = batcher.EnqueueAsync("d", NoTimeout, CancellationToken.None); });

        Assert.AreEqual("m", error.ModelName);
        Assert.AreEqual(3, batcher.QueueLength);
        worker.Release();
        CollectionAssert.AreEqual(new[] { "r:a", "r:b", "r:c" }, await Task.WhenAll(waiting).WaitAsync(Bound));
        Assert.AreEqual("r:e", await batcher.EnqueueAsync("e", NoTimeout, CancellationToken.None).WaitAsync(Bound), "the queue takes requests again once drained");
        CollectionAssert.DoesNotContain(worker.Seen.ToArray(), "d");
    }

    [TestMethod]
    public async Task EnqueueAsync_BatchWithFailingRequest_FailsOnlyThatRequest()
    {
        var worker = Executor(failOn: "bad");
        var batcher = Start(new() { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.FromHours(1) }, new FakeTimeProvider(), worker);

        var tasks = new[] { "a", "b", "bad", "c" }.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None)).ToArray();

        var error = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => tasks[2].WaitAsync(Bound));
        Assert.AreSame(worker.LastFailure, error, "the caller gets the executor's own exception");
        Assert.AreEqual("r:a", await tasks[0].WaitAsync(Bound));
        Assert.AreEqual("r:b", await tasks[1].WaitAsync(Bound));
        Assert.AreEqual("r:c", await tasks[3].WaitAsync(Bound));
        CollectionAssert.AreEqual(new[] { "a", "b", "bad", "c" }, worker.Batches[0], "the four requests first run as one batch");
    }

    [TestMethod]
    public async Task StopAsync_QueuedRequests_DrainsThemThenRejectsNewOnes()
    {
        var worker = Executor(blocked: true);
        var batcher = Start(new() { MaxQueueDelay = TimeSpan.Zero }, new FakeTimeProvider(), worker);
        var blocker = await OccupyAsync(batcher, worker);
        var queued = new[] { "a", "b", "c" }.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None)).ToArray();

        var stop = batcher.StopAsync(TestContext.CancellationToken);
        Assert.ThrowsExactly<ModelUnavailableException>(() => { _ = batcher.EnqueueAsync("during", NoTimeout, CancellationToken.None); });
        Assert.IsFalse(stop.IsCompleted, "stopping waits for the queued requests");
        worker.Release();
        await stop.WaitAsync(Bound);

        Assert.IsTrue(blocker.IsCompletedSuccessfully);
        CollectionAssert.AreEqual(new[] { "r:a", "r:b", "r:c" }, queued.Select(t => t.IsCompletedSuccessfully ? t.Result : t.Status.ToString()).ToArray());
        var error = Assert.ThrowsExactly<ModelUnavailableException>(() => { _ = batcher.EnqueueAsync("after", NoTimeout, CancellationToken.None); });
        Assert.AreEqual("m", error.ModelName);
    }

    [TestMethod]
    public async Task StopAsync_WorkerNeverFinishes_FailsQueuedRequestsAfterShutdownTimeout()
    {
        var time = new FakeTimeProvider();
        var worker = Executor(blocked: true);
        var batcher = Start(new() { MaxQueueDelay = TimeSpan.Zero, ShutdownTimeout = TimeSpan.FromMilliseconds(100) }, time, worker);
        await OccupyAsync(batcher, worker);
        var queued = new[] { "a", "b" }.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None)).ToArray();

        var stop = batcher.StopAsync(TestContext.CancellationToken);
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.IsFalse(stop.IsCompleted, "stopping should wait the whole shutdown timeout");
        time.Advance(TimeSpan.FromMilliseconds(1));
        await stop.WaitAsync(Bound);

        foreach (var request in queued)
        {
            var error = await Assert.ThrowsExactlyAsync<ModelUnavailableException>(() => request.WaitAsync(Bound));
            Assert.AreEqual("m", error.ModelName);
        }

        Assert.AreEqual(0, batcher.QueueLength);
        CollectionAssert.AreEqual(new[] { "blocker" }, worker.Seen.ToArray(), "requests failed at shutdown never run");
    }

    [TestMethod]
    public async Task SwapExecutors_BatchRunningOnOldSet_DisposesOldOwnerOnlyAfterThatBatch()
    {
        var oldWorker = Executor(blocked: true);
        var oldOwner = new CountingOwner();
        var batcher = Start(new() { MaxQueueDelay = TimeSpan.Zero }, new FakeTimeProvider(), oldWorker, owner: oldOwner);
        var running = await OccupyAsync(batcher, oldWorker);
        var newWorker = Executor();
        var newOwner = new CountingOwner();

        batcher.SwapExecutors(new ExecutorSet<string, string>([newWorker], newOwner, "new"));
        var served = await batcher.EnqueueAsync("x", NoTimeout, CancellationToken.None).WaitAsync(Bound);

        Assert.AreEqual("r:x", served);
        CollectionAssert.AreEqual(new[] { "x" }, newWorker.Seen.ToArray(), "new requests run on the new set");
        Assert.IsFalse(oldOwner.IsDisposed, "the old owner must outlive the batch still running on it");
        oldWorker.Release();
        Assert.AreEqual("r:blocker", await running.WaitAsync(Bound));
        await WaitUntilAsync(() => oldOwner.IsDisposed, "the old owner to be disposed after its last batch");
        Assert.AreEqual(1, oldOwner.Disposals);
        Assert.IsFalse(newOwner.IsDisposed);
        Assert.AreEqual("r:y", await batcher.EnqueueAsync("y", NoTimeout, CancellationToken.None).WaitAsync(Bound));
        CollectionAssert.AreEqual(new[] { "blocker" }, oldWorker.Seen.ToArray(), "a retired worker takes no new batch");
    }

    [TestMethod]
    public async Task SwapExecutors_FiveReloadsWithoutTraffic_DisposesEveryRetiredOwner()
    {
        var owners = new List<CountingOwner> { new() };
        var batcher = Start(new() { MaxQueueDelay = TimeSpan.Zero }, new FakeTimeProvider(), Executor(), owner: owners[0]);
        Assert.AreEqual("r:warm", await batcher.EnqueueAsync("warm", NoTimeout, CancellationToken.None).WaitAsync(Bound));

        for (var i = 0; i < 5; i++)
        {
            var owner = new CountingOwner();
            owners.Add(owner);
            batcher.SwapExecutors(new ExecutorSet<string, string>([Executor(), Executor()], owner, $"v{i + 2}"));
        }

        await WaitUntilAsync(() => owners.Take(5).All(o => o.IsDisposed), "every retired owner to be disposed");
        CollectionAssert.AreEqual(new[] { 1, 1, 1, 1, 1, 0 }, owners.Select(o => o.Disposals).ToArray());
        Assert.AreEqual("r:x", await batcher.EnqueueAsync("x", NoTimeout, CancellationToken.None).WaitAsync(Bound));
        Assert.AreEqual(1, _executors.Skip(_executors.Count - 2).Sum(e => e.Seen.Count), "the request runs on the newest set");
    }

    [TestMethod]
    public async Task SwapExecutors_AfterTheLastQueuedRequestWasWithdrawn_DisposesTheOldOwner()
    {
        var time = new TimerCountingTimeProvider();
        var oldOwner = new CountingOwner();
        var oldWorker = Executor();
        var batcher = Start(new() { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromMilliseconds(10) }, time, oldWorker, owner: oldOwner);
        using var cancel = new CancellationTokenSource();

        // The dispatcher takes the worker, then waits on the queue delay; the request leaves the queue meanwhile.
        var withdrawn = batcher.EnqueueAsync("withdrawn", NoTimeout, cancel.Token);
        await WaitUntilAsync(() => time.TimersCreated > 0, "the dispatcher to wait on the queue delay");
        await cancel.CancelAsync();
        time.Advance(TimeSpan.FromMilliseconds(10));
        var newWorker = Executor();
        batcher.SwapExecutors(new ExecutorSet<string, string>([newWorker], new CountingOwner(), "new"));

        await WaitUntilAsync(() => oldOwner.IsDisposed, "the old owner to be disposed while no request is queued");
        Assert.IsTrue(withdrawn.IsCanceled);
        Assert.IsEmpty(oldWorker.Batches);
    }

    [TestMethod]
    public async Task EnqueueAsync_BatchDispatchedAfterTwoSeconds_RecordsSecondsOnTheHostsMeter()
    {
        await using var host = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = host.GetRequiredService<IMeterFactory>();
        using var requestDuration = new MetricCollector<double>(meters, PoolMetrics.MeterName, PoolMetrics.RequestDurationName);
        using var queueDuration = new MetricCollector<double>(meters, PoolMetrics.MeterName, PoolMetrics.QueueDurationName);
        using var inferenceDuration = new MetricCollector<double>(meters, PoolMetrics.MeterName, PoolMetrics.InferenceDurationName);
        using var batchSize = new MetricCollector<int>(meters, PoolMetrics.MeterName, PoolMetrics.BatchSizeName);
        using var queued = new MetricCollector<int>(meters, PoolMetrics.MeterName, PoolMetrics.QueuedRequestsName);
        var time = new TimerCountingTimeProvider();
        var worker = Executor();
        var batcher = Start(new() { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromSeconds(2) }, time, worker, instruments: new PoolInstruments(meters));

        var first = batcher.EnqueueAsync("a", NoTimeout, CancellationToken.None);
        var second = batcher.EnqueueAsync("b", NoTimeout, CancellationToken.None);
        await WaitUntilAsync(() => time.TimersCreated > 0, "the dispatcher to wait on the queue delay");
        Assert.AreEqual(2, queued.GetMeasurementSnapshot().Sum(m => m.Value), "two requests wait");
        time.Advance(TimeSpan.FromSeconds(2));
        await Task.WhenAll(first, second).WaitAsync(Bound);

        Assert.AreSame(meters, requestDuration.Instrument!.Meter.Scope, "the meter comes from the host's factory");
        Assert.AreEqual("s", requestDuration.Instrument.Unit);
        CollectionAssert.AreEqual(new[] { 2.0, 2.0 }, queueDuration.GetMeasurementSnapshot().Select(m => m.Value).ToArray());
        CollectionAssert.AreEqual(new[] { 2.0, 2.0 }, requestDuration.GetMeasurementSnapshot().Select(m => m.Value).ToArray(), "the fake clock does not move while the batch runs");
        CollectionAssert.AreEqual(new[] { 0.0 }, inferenceDuration.GetMeasurementSnapshot().Select(m => m.Value).ToArray());
        CollectionAssert.AreEqual(new[] { 2 }, batchSize.GetMeasurementSnapshot().Select(m => m.Value).ToArray());
        Assert.AreEqual(0, queued.GetMeasurementSnapshot().Sum(m => m.Value), "nothing waits any more");
        foreach (var measurement in requestDuration.GetMeasurementSnapshot())
        {
            Assert.AreEqual("m", measurement.Tags[PoolMetrics.ModelNameAttribute]);
            Assert.IsFalse(measurement.Tags.ContainsKey(PoolMetrics.ErrorTypeAttribute), "a success carries no error.type");
        }
    }

    [TestMethod]
    public async Task EnqueueAsync_FailingAndTimedOutRequests_RecordTheirErrorType()
    {
        await using var host = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = host.GetRequiredService<IMeterFactory>();
        using var requestDuration = new MetricCollector<double>(meters, PoolMetrics.MeterName, PoolMetrics.RequestDurationName);
        using var inferenceDuration = new MetricCollector<double>(meters, PoolMetrics.MeterName, PoolMetrics.InferenceDurationName);
        using var rejected = new MetricCollector<long>(meters, PoolMetrics.MeterName, PoolMetrics.RejectedRequestsName);
        var time = new FakeTimeProvider();
        var worker = Executor(blocked: true, failOn: "bad");
        var batcher = Start(new() { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.Zero, MaxQueueLength = 3 }, time, worker, instruments: new PoolInstruments(meters));
        var blocker = await OccupyAsync(batcher, worker);

        var late = batcher.EnqueueAsync("late", TimeSpan.FromSeconds(1), CancellationToken.None);
        var tasks = new[] { "a", "bad" }.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None)).ToArray();
        Assert.ThrowsExactly<QueueFullException>(() => batcher.EnqueueAsync("over", NoTimeout, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsExactlyAsync<PredictionTimeoutException>(() => late.WaitAsync(Bound));
        worker.Release();
        await blocker.WaitAsync(Bound);
        Assert.AreEqual("r:a", await tasks[0].WaitAsync(Bound));
        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => tasks[1].WaitAsync(Bound));

        var errors = requestDuration.GetMeasurementSnapshot()
            .Select(m => m.Tags.TryGetValue(PoolMetrics.ErrorTypeAttribute, out var e) ? (string?)e : null)
            .ToArray();
        Assert.HasCount(4, errors, "blocker, late, a and bad each finish once");
        Assert.AreEqual(2, errors.Count(e => e is null));
        Assert.AreEqual(1, errors.Count(e => e == "timeout"));
        Assert.AreEqual(1, errors.Count(e => e == typeof(InvalidOperationException).FullName), "a model failure is named by its exception type");
        var timedOut = requestDuration.GetMeasurementSnapshot().Single(m => m.Tags.ContainsKey(PoolMetrics.ErrorTypeAttribute) && (string?)m.Tags[PoolMetrics.ErrorTypeAttribute] == "timeout");
        Assert.AreEqual(1.0, timedOut.Value, "the timed-out request waited exactly its timeout");
        Assert.IsTrue(
            inferenceDuration.GetMeasurementSnapshot().Any(m => (string?)m.Tags.GetValueOrDefault(PoolMetrics.ErrorTypeAttribute) == typeof(InvalidOperationException).FullName),
            "the failed run carries error.type");
        var rejection = rejected.GetMeasurementSnapshot().Single();
        Assert.AreEqual("queue_full", rejection.Tags[PoolMetrics.ErrorTypeAttribute]);
    }

    [TestMethod]
    public async Task EnqueueAsync_ListenerOnTheSource_RequestSpansUnderTheCallerAndBatchSpanLinkedToEach()
    {
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PoolTracing.ActivitySourceName || source.Name == nameof(DynamicBatcherTests),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (stopped)
                {
                    stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var testSource = new ActivitySource(nameof(DynamicBatcherTests));
        var worker = Executor(blocked: true, failOn: "bad");
        var batcher = Start(new() { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.Zero }, new FakeTimeProvider(), worker);
        var blocker = await OccupyAsync(batcher, worker);

        Task<string>[] tasks;
        Activity caller;
        using (caller = testSource.StartActivity("caller")!)
        {
            tasks = [.. new[] { "a", "b", "bad" }.Select(r => batcher.EnqueueAsync(r, NoTimeout, CancellationToken.None))];
            Assert.AreSame(caller, Activity.Current, "queueing leaves the caller's current activity as it was");
        }

        worker.Release();
        await blocker.WaitAsync(Bound);
        await Task.WhenAll(tasks[0], tasks[1]).WaitAsync(Bound);
        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => tasks[2].WaitAsync(Bound));
        await WaitUntilAsync(() => { lock (stopped) { return stopped.Count(a => a.OperationName == PoolTracing.InferenceActivityName) == 2; } }, "both batch spans to stop");

        Activity[] spans;
        lock (stopped)
        {
            spans = [.. stopped];
        }

        var requests = spans.Where(a => a.OperationName == PoolTracing.RequestActivityName && a.ParentSpanId == caller.SpanId).ToArray();
        Assert.HasCount(3, requests, "each request's span is a child of the caller's activity");
        Assert.IsTrue(requests.All(r => r.TraceId == caller.TraceId && (string?)r.GetTagItem(PoolMetrics.ModelNameAttribute) == "m"));
        var failed = requests.Where(r => r.Status == ActivityStatusCode.Error).ToArray();
        Assert.HasCount(1, failed);
        Assert.AreEqual(typeof(InvalidOperationException).FullName, failed[0].GetTagItem(PoolMetrics.ErrorTypeAttribute));
        foreach (var request in requests)
        {
            Assert.AreEqual(1, spans.Count(q => q.OperationName == PoolTracing.QueueActivityName && q.ParentSpanId == request.SpanId), "one queue span under each request");
        }

        var batch = spans.Single(a => a.OperationName == PoolTracing.InferenceActivityName && a.Links.Count() == 3);
        CollectionAssert.AreEquivalent(requests.Select(r => r.SpanId).ToArray(), batch.Links.Select(l => l.Context.SpanId).ToArray(), "the batch span links to every request it served");
        Assert.IsTrue(requests.Any(r => r.SpanId == batch.ParentSpanId), "the batch span's parent is one of its requests");
        Assert.AreEqual(3, batch.GetTagItem(PoolTracing.BatchSizeAttribute));
        Assert.IsTrue(batch.Events.Any(e => e.Name == "exception"), "the failed run is an exception event on the batch span");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (!condition())
        {
            if (bound.IsCancellationRequested)
            {
                Assert.Fail($"Timed out after {Bound.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(1, CancellationToken.None);
        }
    }

    /// <summary>Runs one request on a blocked worker and waits until the worker holds it, so later requests queue.</summary>
    private static async Task<Task<string>> OccupyAsync(DynamicBatcher<string, string> batcher, RecordingExecutor worker, string request = "blocker")
    {
        var task = batcher.EnqueueAsync(request, NoTimeout, CancellationToken.None);
        await WaitUntilAsync(() => worker.Batches.Count > 0, "the worker to take the first batch");
        CollectionAssert.AreEqual(new[] { request }, worker.Batches[0]);
        Assert.AreEqual(0, batcher.QueueLength);
        return task;
    }

    private RecordingExecutor Executor(bool blocked = false, string? failOn = null)
    {
        var executor = new RecordingExecutor(blocked, failOn);
        _executors.Add(executor);
        return executor;
    }

    private DynamicBatcher<string, string> Start(
        DynamicBatchingOptions options,
        TimeProvider time,
        RecordingExecutor worker,
        Func<string, int>? length = null,
        IDisposable? owner = null,
        PoolInstruments? instruments = null)
    {
        var batcher = new DynamicBatcher<string, string>("m", options, length ?? (static s => s.Length), timeProvider: time, instruments: instruments);
        _batchers.Add(batcher);
        batcher.SwapExecutors(new ExecutorSet<string, string>([worker], owner, "v1"));
        return batcher;
    }
}
