using System.Collections.Concurrent;
using Microsoft.ML;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// A small bounded pool of ML.NET <see cref="PredictionEngine{TSrc, TDst}"/>s, what a user of Microsoft.Extensions.ML
/// gets (its ObjectPool keeps twice the processor count). Unlike that pool, which creates an extra engine when all are
/// in use and drops it on return, this one makes callers wait for a free engine: kinder to the baseline, since
/// creating an engine per request would cost far more than a wait.
/// </summary>
internal sealed class EnginePool<TSrc, TDst> : IDisposable
    where TSrc : class
    where TDst : class, new()
{
    private readonly ConcurrentBag<PredictionEngine<TSrc, TDst>> _engines = [];
    private readonly SemaphoreSlim _free;
    private readonly Func<PredictionEngine<TSrc, TDst>> _create;

    public EnginePool(Func<PredictionEngine<TSrc, TDst>> create, int capacity)
    {
        _create = create;
        _free = new SemaphoreSlim(capacity, capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Predicts one example on a pooled engine, waiting for one when all are busy.</summary>
    public TDst Predict(TSrc example)
    {
        _free.Wait();
        var engine = _engines.TryTake(out var pooled) ? pooled : _create();
        try
        {
            return engine.Predict(example);
        }
        finally
        {
            _engines.Add(engine);
            _free.Release();
        }
    }

    public void Dispose()
    {
        while (_engines.TryTake(out var engine))
        {
            engine.Dispose();
        }

        _free.Dispose();
    }
}
