using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// Zoo: every recipe on every zoo model (<see cref="ZooModels"/>) through <see cref="ModelOptimizer"/>: applied or not
/// (with the reason), node counts, mean cosine to the original, passes rolled back, and the speed of the result against
/// the original at batch 1 and 16 (ORT_ENABLE_ALL, intra-op 1, generated inputs, sequence 32), interleaved.
/// </summary>
internal sealed class ZooWorkload : IWorkload
{
    private static readonly string[] Recipes =
    [
        "fuse", "int8-dynamic", "int8-dynamic-sensitive", "int8-static", "fp16", "int4-weights",
        "fuse+int8-dynamic", "fuse+int8-dynamic-sensitive", "fuse+int8-static", "fuse+fp16", "fuse+int4-weights",
    ];

    public string Name => "zoo";

    public string Title => "Zoo: every recipe on every zoo model (applied or why not, nodes, cosine, speed vs the original at b1/b16, ORT_ENABLE_ALL, intra-op 1)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? 5 : 15;
        var slice = TimeSpan.FromMilliseconds(quick ? 20 : 40);
        var directory = Directory.CreateTempSubdirectory("zoo-").FullName;
        var records = new List<BenchmarkRecord>();
        using var options = SingleThreadedSession.Options();
        try
        {
            foreach (var zoo in ZooModels.All)
            {
                var original = zoo.HasExternalData ? OnnxModelIO.ToBytes(OnnxModelIO.Load(zoo.WriteTo(directory))) : zoo.Model;
                var inputs = new Dictionary<int, IReadOnlyDictionary<string, SampleTensor>>
                {
                    [1] = SampleInputGenerator.Generate(original, new SampleInputOptions { SampleCount = 1, BatchSize = 1, SequenceLength = 32 })[0],
                    [16] = SampleInputGenerator.Generate(original, new SampleInputOptions { SampleCount = 1, BatchSize = 16, SequenceLength = 32 })[0],
                };
                using var originalSession = new InferenceSession(original, options);
                foreach (var recipe in Recipes)
                {
                    var timer = Stopwatch.StartNew();
                    var result = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse(recipe), new RecipeContext());
                    var seconds = timer.Elapsed.TotalSeconds;
                    var ratios = new Dictionary<string, double>(StringComparer.Ordinal);
                    double? rowsPerSecond = null;
                    if (result.Applied)
                    {
                        using var optimized = new InferenceSession(result.Model, options);
                        foreach (var (batch, sample) in inputs)
                        {
                            var (a, b) = Interleave(originalSession, optimized, sample, rounds, slice);
                            ratios[$"original-b{batch}"] = b / a;
                            if (batch == 1)
                            {
                                rowsPerSecond = b;
                            }
                        }
                    }

                    var c = CultureInfo.InvariantCulture;
                    var note = result.Applied
                        ? string.Create(c, $"applied; nodes {result.NodesBefore} -> {result.NodesAfter}; mean cosine {result.Verification.MeanCosine:F6}, min {result.Verification.MinCosine:F6}; optimized and verified in {seconds:F2} s")
                        : $"unchanged: {result.UnchangedReason}";
                    if (result.RolledBack.Count > 0)
                    {
                        note += "; rolled back: " + string.Join("; ", result.RolledBack);
                    }

                    progress.WriteLine($"  {zoo.Name} / {recipe}: {note}{string.Concat(ratios.Select(r => string.Create(c, $", {r.Value:F2}x vs {r.Key}")))}");
                    records.Add(new BenchmarkRecord(Name, $"{zoo.Name}/{recipe}", false, null, rowsPerSecond, null, null, ProcessMemory.PeakRssMb(), ratios.Count == 0 ? null : ratios, note));
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return records;
    }

    /// <summary>Alternates slices of the two sessions (order flipped each round) and gives the median rows/s of each.</summary>
    private static (double Original, double Optimized) Interleave(InferenceSession original, InferenceSession optimized, IReadOnlyDictionary<string, SampleTensor> sample, int rounds, TimeSpan slice)
    {
        var runners = new[] { new SampleRunner(original, modelName: "original"), new SampleRunner(optimized, modelName: "optimized") };
        var rows = sample.Values.First().Shape[0];
        var rates = new[] { new List<double>(), new List<double>() };
        foreach (var runner in runners)
        {
            using var warm = runner.Run(sample);
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < 2; k++)
            {
                var which = (round % 2 == 0) ? k : 1 - k;
                var calls = 0;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < slice)
                {
                    using var result = runners[which].Run(sample);
                    calls++;
                }

                rates[which].Add(calls * rows / clock.Elapsed.TotalSeconds);
            }
        }

        return (Statistics.Median(rates[0]), Statistics.Median(rates[1]));
    }
}
