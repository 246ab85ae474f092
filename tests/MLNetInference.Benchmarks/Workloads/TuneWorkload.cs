using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Serving;
using MLNetInference.Tuning;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// The tuner on MiniLM with a cosine ≥ 0.99 budget: how long a full tune and a cached rerun take, then the chosen
/// configuration against ONNX Runtime's defaults on the original model, at batch 1 (one client, one request per Run)
/// and on the P1 load (32 closed-loop clients, real sentences, the chosen model served by our pool with the chosen
/// batching settings from tuned.json).
/// </summary>
internal sealed class TuneWorkload : IWorkload
{
    private const int SentenceCount = 1000;
    private const int Clients = 32;
    private const string OrtDefault = "a-ort-defaults-original";

    public string Name => "tune";

    public string Title => "Tuner: MiniLM tuned for cosine ≥ 0.99 against ONNX Runtime's defaults on the original model";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var sentences = SentenceCorpus.Load(SentenceCount);
        var rows = sentences.Select(s => new TextRow { Text = s }).ToArray();
        var work = Directory.CreateTempSubdirectory("tune-workload-").FullName;
        try
        {
            var request = new TuningRequest
            {
                ModelPath = ModelPaths.MiniLmModel,
                OutputDirectory = Path.Combine(work, "out"),
                CacheDirectory = Path.Combine(work, "cache"),
                Sentences = sentences,
                VocabularyPath = ModelPaths.MiniLmVocab,
                MaxCosineDrop = 0.01,
                Concurrency = Clients,
                Quick = quick,
            };
            progress.WriteLine($"  full tune ({(quick ? "quick space" : "default space")}, {Environment.ProcessorCount} cores)");
            var clock = Stopwatch.StartNew();
            var tuned = ModelTuner.TuneAsync(request).GetAwaiter().GetResult();
            var fullSeconds = clock.Elapsed.TotalSeconds;
            progress.WriteLine($"  tuned in {fullSeconds:F1} s: {tuned.Best.Configuration}");
            request.OutputDirectory = Path.Combine(work, "rerun");
            clock.Restart();
            var rerun = ModelTuner.TuneAsync(request).GetAwaiter().GetResult();
            var cachedSeconds = clock.Elapsed.TotalSeconds;
            progress.WriteLine($"  cached rerun in {cachedSeconds:F1} s ({rerun.Report.CacheHits} cache hits, {rerun.Report.Evaluations} measured)");

            var description = TunedModelDescription.Load(tuned.OutputDirectory);
            var chosen = tuned.Best.Configuration;
            var tag = $"b-tuned-{chosen.Candidate.Name.Split(' ')[0]}";
            var records = new List<BenchmarkRecord>
            {
                new(Name, "tune-time", false, null, null, null, null, ProcessMemory.PeakRssMb(), null,
                    $"full tune {fullSeconds:F1} s ({tuned.Report.Strategy}; {tuned.Trials.Count} trials, {tuned.Report.Evaluations} measurements); cached rerun {cachedSeconds:F1} s " +
                    $"({rerun.Report.CacheHits} cache hits, {rerun.Report.Evaluations} measured); same choice on rerun: {rerun.Best.Configuration == chosen}; chosen: {chosen}; " +
                    $"accuracy {tuned.Best.Accuracy?.MeanCosine:F5} mean / {tuned.Best.Accuracy?.MinCosine:F5} min cosine on {tuned.Best.Accuracy?.SampleCount} sentences; " +
                    $"tuner's own estimate of the speedup at {Clients} clients {tuned.Report.SpeedupOverBaseline:F2}×"),
            };

            using var defaults = new RawOrtEmbedder(ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab);
            using var tunedSessionOptions = new SessionOptions { GraphOptimizationLevel = description.GraphOptimizationLevel, IntraOpNumThreads = description.IntraOpThreadsPerWorker, InterOpNumThreads = 1 };
            using var tunedSession = new RawOrtEmbedder(description.ModelPath, ModelPaths.MiniLmVocab, tunedSessionOptions);
            using var tunedModelDefaults = new RawOrtEmbedder(description.ModelPath, ModelPaths.MiniLmVocab);
            var cosine = Cosines(rows[..200], defaults, tunedSession);
            progress.WriteLine($"  {cosine}");

            // The same tune for a one-client service: the b1 target is about a single caller, where the session may
            // use every core for one Run (the 32-client tune keeps one core per worker).
            var single = new TuningRequest
            {
                ModelPath = ModelPaths.MiniLmModel,
                OutputDirectory = Path.Combine(work, "out-one-client"),
                CacheDirectory = Path.Combine(work, "cache-one-client"),
                Sentences = sentences,
                VocabularyPath = ModelPaths.MiniLmVocab,
                MaxCosineDrop = 0.01,
                Concurrency = 1,
                Quick = quick,
            };
            progress.WriteLine("  tune for one client");
            clock.Restart();
            var oneClient = ModelTuner.TuneAsync(single).GetAwaiter().GetResult();
            var oneClientSeconds = clock.Elapsed.TotalSeconds;
            var oneClientChosen = oneClient.Best.Configuration;
            progress.WriteLine($"  tuned for one client in {oneClientSeconds:F1} s: {oneClientChosen}");
            records.Add(new(Name, "tune-time-one-client", false, null, null, null, null, ProcessMemory.PeakRssMb(), null,
                $"tune at concurrency 1: {oneClientSeconds:F1} s ({oneClient.Report.Strategy}; {oneClient.Trials.Count} trials); chosen: {oneClientChosen}; " +
                $"accuracy {oneClient.Best.Accuracy?.MeanCosine:F5} mean / {oneClient.Best.Accuracy?.MinCosine:F5} min cosine"));
            var single1 = TunedModelDescription.Load(oneClient.OutputDirectory);
            using var oneClientOptions = new SessionOptions { GraphOptimizationLevel = single1.GraphOptimizationLevel, IntraOpNumThreads = single1.IntraOpThreadsPerWorker, InterOpNumThreads = 1 };
            using var oneClientSession = new RawOrtEmbedder(single1.ModelPath, ModelPaths.MiniLmVocab, oneClientOptions);

            var rounds = quick ? 5 : 9;
            var calls = quick ? 20 : 50;
            var next = 0;
            TextRow Next() => rows[Interlocked.Increment(ref next) % rows.Length];
            var b1 = new[]
            {
                CallVariant.Create(OrtDefault + "-b1", null, () => defaults.Embed(Next().Text), calls, 1),
                CallVariant.Create(tag + "-b1-tuned-session", OrtDefault + "-b1", () => tunedSession.Embed(Next().Text), calls, 1),
                CallVariant.Create(tag + "-b1-ort-default-session", OrtDefault + "-b1", () => tunedModelDefaults.Embed(Next().Text), calls, 1),
                CallVariant.Create($"c-tuned-one-client-{oneClientChosen.Candidate.Name.Split(' ')[0]}-b1", OrtDefault + "-b1", () => oneClientSession.Embed(Next().Text), calls, 1),
            };
            var b1Note = "one client, one sentence per Run at its exact length, tokenizing + mean pooling included; " +
                $"(a) the original MiniLM with ONNX Runtime's default SessionOptions; (b) the tuned model ({chosen.Candidate.Name}) with the tuned session ({chosen.Session}) and with ONNX Runtime's defaults; " +
                $"(c) the configuration tuned for one client ({oneClientChosen}); {cosine}";
            records.AddRange(new InterleavedRun(b1).Execute(Name, rounds, _ => b1Note, progress));

            var zip = MiniLmPools.BuildZip(Path.Combine(work, "tuned.zip"), modelPath: description.ModelPath);
            var (provider, pool) = MiniLmPools.Create(zip, description.ApplyTo);
            try
            {
                var slice = TimeSpan.FromSeconds(quick ? 2 : 3);
                var warmUp = TimeSpan.FromSeconds(1);
                TimeSpan Duration(int round) => round < 0 ? warmUp : slice;
                var load = new[]
                {
                    new BenchmarkVariant
                    {
                        Name = OrtDefault + "-p1",
                        Clients = Clients,
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunThreads(Clients, Duration(round), i => defaults.Embed(rows[i % rows.Length].Text), latencies),
                    },
                    new BenchmarkVariant
                    {
                        Name = tag + "-p1-pool-tuned-json",
                        Clients = Clients,
                        BaselineName = OrtDefault + "-p1",
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunTasks(Clients, Duration(round), i => pool.PredictAsync(rows[i % rows.Length]), latencies),
                    },
                };
                var loadNote = $"P1 load: {Clients} closed-loop clients, {SentenceCount} real sentences in order at exact lengths, {slice.TotalSeconds:F0} s slices, {rounds} interleaved rounds; " +
                    "(a) one shared InferenceSession of the original MiniLM with ONNX Runtime's default options, one Run per request on its client thread (P1 (b)); " +
                    $"(b) our PredictionEnginePool over EmbedSentences on the tuned model, batching from tuned.json ({description.MaxBatchSize} per batch, {description.MaxQueueDelayMs} ms delay, " +
                    $"{description.WorkersPerDevice} workers × intra-op {description.IntraOpThreadsPerWorker}); {cosine}";
                records.AddRange(new InterleavedRun(load).Execute(Name, rounds, _ => loadNote, progress));
            }
            finally
            {
                provider.Dispose();
            }

            return records;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Cosines(TextRow[] rows, RawOrtEmbedder original, RawOrtEmbedder tuned)
    {
        var cosines = rows.Select(r => (double)TensorPrimitives.CosineSimilarity(original.Embed(r.Text), tuned.Embed(r.Text))).ToArray();
        return $"tuned embeddings against the original on {rows.Length} sentences: cosine mean {cosines.Average():F4}, min {cosines.Min():F4}";
    }
}
