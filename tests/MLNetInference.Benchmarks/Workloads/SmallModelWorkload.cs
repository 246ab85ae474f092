using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Serving;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P4 small model: the fixture MLP (features float[32] → scores float[4]), where the per-call cost dominates, under 32
/// closed-loop clients; (a) pooled ML.NET PredictionEngines over stock ApplyOnnxModel, (b) raw ONNX Runtime per
/// request, (c) our PredictionEnginePool from the raw ONNX file without batching, (d) with dynamic batching.
/// </summary>
internal sealed class SmallModelWorkload : IWorkload
{
    private const int Clients = 32;
    private const int InputCount = 1000;
    private const string ModelName = "small-mlp";
    private const string PooledEngines = "a-mlnet-engine-pool";
    private const string RawOrt = "b-raw-ort-per-request";
    private const string Ceiling = "ceiling-raw-ort-batches-of-32";
    private const int CeilingBatch = 32;

    public string Name => "p4";

    public string Title => "P4 small model: 32→64→4 MLP under 32 closed-loop clients (per-call cost)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? 7 : 15;
        var slice = TimeSpan.FromSeconds(quick ? 1 : 2);
        var warmUp = TimeSpan.FromSeconds(1);
        var path = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        var random = new Random(7);
        var inputs = Enumerable.Range(0, InputCount)
            .Select(_ => new MlpInput { Features = [.. Enumerable.Range(0, FixtureModels.SmallMlpInputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))] })
            .ToArray();

        var ml = new MLContext(seed: 0);
        var stock = ml.Transforms.ApplyOnnxModel(outputColumnNames: ["scores"], inputColumnNames: ["features"], modelFile: path)
            .Fit(ml.Data.LoadFromEnumerable(inputs[..8]));
        using var engines = new EnginePool<MlpInput, MlpOutput>(() => ml.Model.CreatePredictionEngine<MlpInput, MlpOutput>(stock, new PredictionEngineOptions { OwnsTransformer = false }), 2 * Environment.ProcessorCount);
        using var session = new InferenceSession(path);
        using var runOptions = new RunOptions();
        using var ceiling = new OrtCeiling(path, ["features"], ["scores"]);
        var ceilingBatches = Enumerable.Range(0, InputCount / CeilingBatch)
            .Select(b => new[] { OrtValue.CreateTensorValueFromMemory(inputs.Skip(b * CeilingBatch).Take(CeilingBatch).SelectMany(i => i.Features).ToArray(), [CeilingBatch, FixtureModels.SmallMlpInputSize]) })
            .ToArray();
        float[] RawPredict(MlpInput input)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input.Features, [1, input.Features.Length]);
            using var outputs = session.Run(runOptions, ["features"], [value], ["scores"]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }

        var (unbatchedProvider, unbatched) = CreatePool(path, o => o.MaxBatchSize = 1);
        var (batchedProvider, batched) = CreatePool(path, _ => { });
        try
        {
            var defaults = new DynamicBatchingOptions();
            var check = CheckSameScores(inputs[..16], engines, RawPredict, unbatched, batched);
            progress.WriteLine($"  check: {check}");
            TimeSpan Duration(int round) => round < 0 ? warmUp : slice;
            string[] againstCeiling = [Ceiling];
            string[] againstRawAndCeiling = [RawOrt, Ceiling];
            var variants = new[]
            {
                new BenchmarkVariant
                {
                    Name = Ceiling,
                    Clients = Clients,
                    Baseline = true,
                    RunTimedSlice = (round, latencies) => ceiling.RunSlice(Duration(round), ceilingBatches, CeilingBatch, latencies),
                },
                new BenchmarkVariant
                {
                    Name = PooledEngines,
                    Clients = Clients,
                    AlsoComparedWith = againstCeiling,
                    Baseline = true,
                    RunTimedSlice = (round, latencies) => ClosedLoop.RunThreads(Clients, Duration(round), i => engines.Predict(inputs[i % InputCount]), latencies),
                },
                new BenchmarkVariant
                {
                    Name = RawOrt,
                    Clients = Clients,
                    BaselineName = PooledEngines,
                    AlsoComparedWith = againstCeiling,
                    Baseline = true,
                    RunTimedSlice = (round, latencies) => ClosedLoop.RunThreads(Clients, Duration(round), i => RawPredict(inputs[i % InputCount]), latencies),
                },
                new BenchmarkVariant
                {
                    Name = "c-ours-pool-unbatched",
                    Clients = Clients,
                    BaselineName = PooledEngines,
                    AlsoComparedWith = againstRawAndCeiling,
                    RunTimedSlice = (round, latencies) => ClosedLoop.RunTasks(Clients, Duration(round), i => unbatched.PredictAsync(ModelName, inputs[i % InputCount]), latencies),
                },
                new BenchmarkVariant
                {
                    Name = "d-ours-pool-batched",
                    Clients = Clients,
                    BaselineName = PooledEngines,
                    AlsoComparedWith = againstRawAndCeiling,
                    RunTimedSlice = (round, latencies) => ClosedLoop.RunTasks(Clients, Duration(round), i => batched.PredictAsync(ModelName, inputs[i % InputCount]), latencies),
                },
            };
            var note = $"ceiling: raw ONNX Runtime on {CeilingBatch}-row batches built before timing, one Run of [{CeilingBatch},32] per call in a tight loop on {OrtCeiling.Threads} threads " +
                "(one per core), one shared session with intra-op 1, no request machinery (the client count does not apply; its latencies are per batch); " +
                $"FixtureModels.SmallMlp (features float[32] → 64 → scores float[4], dynamic batch), {InputCount} random inputs; closed loop: each client " +
                $"sends its next request when the previous one completes, for {slice.TotalSeconds:F0} s per slice; throughput counts every request over the " +
                $"time until the last one completes; {rounds} interleaved rounds; (a) stock ApplyOnnxModel (ML.NET defaults), {engines.Capacity} PredictionEngines in a bounded pool, one client " +
                "thread each; (b) one shared InferenceSession (ONNX Runtime defaults), one Run on [1,32] per request, one client thread each; (c) our PredictionEnginePool " +
                $"FromOnnxFile with MaxBatchSize 1; (d) the same with its defaults (MaxBatchSize {defaults.MaxBatchSize}, MaxQueueDelay {defaults.MaxQueueDelay.TotalMilliseconds:F0} ms, " +
                $"workers = cores ({Environment.ProcessorCount}), intra-op {defaults.IntraOpThreadsPerWorker} per worker); (c) and (d) clients are async tasks awaiting " +
                $"PredictAsync, with the default 30 s request timeout; {check}; peak RSS is process-wide (VmHWM).";
            var records = new InterleavedRun(variants).Execute(Name, rounds, _ => note, progress);
            progress.WriteLine("  per-call costs, one thread");
            Breakdown(ml, inputs, engines, RawPredict, unbatched, batched, quick).WriteMarkdown(Console.Out, "P4 per-call costs, one thread, sequential (where the time of a request goes)");
            return records;
        }
        finally
        {
            batchedProvider.Dispose();
            unbatchedProvider.Dispose();
            (stock as IDisposable)?.Dispose();
        }
    }

    /// <summary>Times each step of a request on one thread: the stock engine, a raw Run, the pool's executor and its parts, a pool round trip.</summary>
    private static CallCosts Breakdown(
        MLContext ml,
        MlpInput[] inputs,
        EnginePool<MlpInput, MlpOutput> engines,
        Func<MlpInput, float[]> raw,
        PredictionEnginePool<MlpInput, MlpOutput> unbatched,
        PredictionEnginePool<MlpInput, MlpOutput> batched,
        bool quick)
    {
        var costs = new CallCosts(TimeSpan.FromMilliseconds(quick ? 400 : 1000));
        var next = 0;
        MlpInput Next() => inputs[next++ % InputCount];
        costs.Measure("(a) stock PredictionEngine.Predict", () => engines.Predict(Next()), "ApplyOnnxModel, through the bounded pool");
        costs.Measure("(b) raw ORT Run [1,32]", () => raw(Next()), "OrtValue in, scores copied out");

        var model = batched.GetModel(ModelName);
        var definition = SchemaDefinition.Create(typeof(MlpInput));
        var scorer = (OnnxBatchScoringTransformer)model;
        var direct = DirectOnnxExecutor<MlpInput, MlpOutput>.TryCreate(scorer.Runner, scorer.InputColumns, scorer.OutputColumns)
            ?? throw new InvalidOperationException("The small model's types should map onto the direct executor.");
        var general = new MlNetBatchExecutor<MlpInput, MlpOutput>(ml, model, definition);
        var one = new MlpInput[1];
        var oneResult = new MlpOutput[1];
        var full = new MlpInput[32];
        var fullResult = new MlpOutput[32];
        foreach (var (label, executor, detail) in new (string, IBatchExecutor<MlpInput, MlpOutput>, string)[]
        {
            ("pool direct executor (raw ONNX, what the pool uses here)", direct, "DirectOnnxExecutor: arrays to row tensors, one BatchRunner.Run, outputs set"),
            ("pool general executor (ML.NET zips)", general, "MlNetBatchExecutor: LoadFromEnumerable, Transform, CreateEnumerable"),
        })
        {
            costs.Measure($"{label}, batch of 1", () =>
            {
                one[0] = Next();
                executor.Execute(one, oneResult);
            }, detail);
            costs.Measure($"{label}, batch of 32", () =>
            {
                for (var k = 0; k < full.Length; k++)
                {
                    full[k] = Next();
                }

                executor.Execute(full, fullResult);
            }, "the same, 32 rows (one ORT Run of [32,32])");
        }

        costs.Measure("  of which LoadFromEnumerable + Transform", () => model.Transform(ml.Data.LoadFromEnumerable(new[] { Next() }, definition)), "building the scored view per batch");
        costs.Measure("  of which CreateEnumerable, 1 row read", () =>
        {
            var view = model.Transform(ml.Data.LoadFromEnumerable(new[] { Next() }, definition));
            foreach (var _ in ml.Data.CreateEnumerable<MlpOutput>(view, reuseRowObject: false, ignoreMissingColumns: true))
            {
            }
        }, "Transform + a typed cursor over the scored view, whose MoveNext runs the model (ORT Run included)");
        costs.Measure("  of which a raw cursor, 1 row read", () =>
        {
            var view = model.Transform(ml.Data.LoadFromEnumerable(new[] { Next() }, definition));
            DataViewReader.Consume(view, "scores");
        }, "Transform + GetRowCursor + a VBuffer getter on scores: our scorer's cursor without ML.NET's typed mapping");
        using (var ourEngine = ml.Model.CreatePredictionEngine<MlpInput, MlpOutput>(model, new PredictionEngineOptions { OwnsTransformer = false }))
        {
            costs.Measure("PredictionEngine over the pool's own model", () => ourEngine.Predict(Next()), "ScoreOnnxBatched at batch 1 through ML.NET's reusable row path");
        }

        costs.Measure("(c) pool.PredictAsync, MaxBatchSize 1, one client", () => unbatched.PredictAsync(ModelName, Next()).GetAwaiter().GetResult(), "queue + dispatcher + executor + completion");
        costs.Measure("(d) pool.PredictAsync, defaults, one client", () => batched.PredictAsync(ModelName, Next()).GetAwaiter().GetResult(), "a lone request waits MaxQueueDelay for company");
        return costs;
    }

    private static (ServiceProvider Provider, PredictionEnginePool<MlpInput, MlpOutput> Pool) CreatePool(string path, Action<DynamicBatchingOptions> batching)
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromOnnxFile(ModelName, path, o =>
            {
                o.InputColumns["features"] = "features";
                o.OutputColumns["scores"] = "scores";
            })
            .WithDynamicBatching(batching);
        var provider = services.BuildServiceProvider(validateScopes: true);
        return (provider, provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>());
    }

    private static string CheckSameScores(
        MlpInput[] inputs,
        EnginePool<MlpInput, MlpOutput> engines,
        Func<MlpInput, float[]> raw,
        PredictionEnginePool<MlpInput, MlpOutput> unbatched,
        PredictionEnginePool<MlpInput, MlpOutput> batched)
    {
        var worst = 0f;
        foreach (var input in inputs)
        {
            var reference = raw(input);
            foreach (var other in new[] { engines.Predict(input).Scores, unbatched.Predict(ModelName, input).Scores, batched.Predict(ModelName, input).Scores })
            {
                for (var k = 0; k < reference.Length; k++)
                {
                    worst = Math.Max(worst, Math.Abs(reference[k] - other[k]));
                }
            }
        }

        if (worst > 1e-4f)
        {
            throw new InvalidOperationException($"The variants' scores disagree (max abs difference {worst:G3}); the comparison would not be fair.");
        }

        return $"scores of {inputs.Length} inputs agree across the four variants (max abs difference {worst:G3})";
    }

    internal sealed class MlpInput
    {
        [ColumnName("features")]
        [VectorType(FixtureModels.SmallMlpInputSize)]
        public float[] Features { get; set; } = [];
    }

    internal sealed class MlpOutput
    {
        [ColumnName("scores")]
        [VectorType(FixtureModels.SmallMlpOutputSize)]
        public float[] Scores { get; set; } = [];
    }
}
