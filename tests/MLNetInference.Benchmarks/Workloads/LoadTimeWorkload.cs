using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P7 load time: creating a session from the original model with ONNX Runtime's online optimization (ENABLE_ALL)
/// against loading a model optimized beforehand, raw (DISABLE_ALL) and through our factory's optimized-model cache.
/// </summary>
internal sealed class LoadTimeWorkload : IWorkload
{
    public string Name => "p7";

    public string Title => "P7 load time: online optimization vs a pre-optimized model (MiniLM, ResNet18)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? 5 : 15;
        var folder = Path.Combine(Path.GetTempPath(), $"mlnetinference-p7-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            var variants = new List<BenchmarkVariant>();
            foreach (var (label, path) in new[] { ("minilm", ModelPaths.MiniLmModel), ("resnet18", ModelPaths.ResNet18Model) })
            {
                var cache = Path.Combine(folder, $"{label}.optimized.onnx");
                var cached = new OnnxSessionOptions { OptimizedModelCachePath = cache, IntraOpThreads = 1, RewriteFixedBatch = false };

                // Fill the cache once: ONNX Runtime writes the optimized graph next to its key.
                new OnnxSessionFactory().Create(path, cached).Dispose();
                progress.WriteLine($"  {label}: {new FileInfo(path).Length / 1e6:F1} MB original, {new FileInfo(cache).Length / 1e6:F1} MB optimized");
                var online = $"online-enable-all-{label}";
                variants.Add(Variant(online, null, () => Raw(path, GraphOptimizationLevel.ORT_ENABLE_ALL)));
                variants.Add(Variant($"pre-optimized-raw-{label}", online, () => Raw(cache, GraphOptimizationLevel.ORT_DISABLE_ALL)));
                variants.Add(Variant($"pre-optimized-factory-cache-{label}", online, () => new OnnxSessionFactory().Create(path, cached).Dispose()));
            }

            var note = $"one session created and disposed per call, intra-op 1; online: the original file with ORT_ENABLE_ALL; pre-optimized raw: " +
                "the optimized file ONNX Runtime wrote (SessionOptions.OptimizedModelFilePath) loaded with ORT_DISABLE_ALL; factory cache: our " +
                "OnnxSessionFactory with OptimizedModelCachePath, a cache hit (key: path, size, write time, provider, level, ORT version); " +
                $"rows/s = loads/s; {rounds} interleaved rounds of 2 loads; the fixed-batch rewrite is off for ResNet18 so that every variant loads the same graph.";
            return new InterleavedRun(variants).Execute(Name, rounds, _ => note, progress);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless.
            }
        }
    }

    private static void Raw(string path, GraphOptimizationLevel level)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
    }

    private static BenchmarkVariant Variant(string name, string? baseline, Action load) => new()
    {
        Name = name,
        BaselineName = baseline,
        RunSlice = (_, latencies) =>
        {
            for (var i = 0; i < 2; i++)
            {
                var clock = Stopwatch.StartNew();
                load();
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }

            return 2;
        },
    };
}
