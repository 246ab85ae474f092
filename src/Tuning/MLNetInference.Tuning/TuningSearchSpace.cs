using Microsoft.ML.OnnxRuntime;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Tuning;

/// <summary>
/// The choices the tuner combines: recipes × session settings × batching settings. Recipes are plain entries (a recipe
/// string and optional step settings), so a new optimizer step joins the search by adding a <see cref="RecipeCandidate"/>.
/// </summary>
public sealed class TuningSearchSpace
{
    /// <summary>Gets the recipes; the first should be <c>none</c> (the original model).</summary>
    public IList<RecipeCandidate> Recipes { get; init; } = [];

    /// <summary>Gets the execution providers.</summary>
    public IList<ExecutionProvider> Providers { get; init; } = [ExecutionProvider.Cpu];

    /// <summary>Gets the intra-op thread counts per session; the tuner runs as many workers as fit the cores.</summary>
    public IList<int> IntraOpThreads { get; init; } = [1];

    /// <summary>Gets ONNX Runtime's graph optimization levels.</summary>
    public IList<GraphOptimizationLevel> OptimizationLevels { get; init; } = [GraphOptimizationLevel.ORT_ENABLE_ALL];

    /// <summary>Gets the pool's largest batch sizes.</summary>
    public IList<int> MaxBatchSizes { get; init; } = [1, 8];

    /// <summary>Gets the pool's queue delays, in milliseconds.</summary>
    public IList<double> MaxQueueDelaysMs { get; init; } = [1];

    /// <summary>
    /// Creates the default space: the original model, fusion, dynamic INT8 (per channel with and without fusion; per
    /// tensor and reduced range after fusion), static INT8 when the optimizer implements it, INT4 weights (also with
    /// int8 compute where <see cref="CpuInt8Kernels.HasFastInt8"/>), FP16 on a GPU; intra-op 1 and all cores;
    /// ENABLE_ALL (add levels to <see cref="OptimizationLevels"/> to search them); batches of 1 to 32 with 1 or 4 ms delay.
    /// </summary>
    /// <param name="gpu">Whether to include CUDA and FP16.</param>
    /// <param name="quick">A small space for a quick tune: none, fuse, INT8 per channel on the fused and on the unfused graph, intra-op 1, ENABLE_ALL, batches of 1 and 8.</param>
    /// <returns>The space.</returns>
    public static TuningSearchSpace CreateDefault(bool gpu = false, bool quick = false)
        => CreateDefaultFor(gpu, quick, CpuInt8Kernels.HasFastInt8);

    /// <summary>Creates the default space for a CPU whose 8-bit dot products are fast or not.</summary>
    /// <param name="gpu">Whether to include CUDA and FP16.</param>
    /// <param name="quick">A small space for a quick tune.</param>
    /// <param name="fastInt8">Whether the CPU has fast 8-bit dot products (<see cref="CpuInt8Kernels.HasFastInt8"/>).</param>
    /// <returns>The space.</returns>
    internal static TuningSearchSpace CreateDefaultFor(bool gpu, bool quick, bool fastInt8)
    {
        var recipes = new List<RecipeCandidate>
        {
            new("original", RecipeCandidate.NoRecipe),
            new("fuse", OptimizationRecipe.Fuse),
            new("int8-per-channel", "fuse+int8-dynamic") { Int8 = new DynamicInt8Options { PerChannel = true } },

            // Dynamic INT8 on the unfused graph too: which form is faster depends on the model and the runtime's
            // kernels (on MiniLM, CPU, intra-op 1, both run at about 2.5x fp32; BENCHMARKS.md, P2), so both are searched.
            new("int8-unfused", OptimizationRecipe.Int8Dynamic) { Int8 = new DynamicInt8Options { PerChannel = true } },
        };
        if (!quick)
        {
            recipes.Add(new("int8-per-tensor", "fuse+int8-dynamic") { Int8 = new DynamicInt8Options { PerChannel = false } });
            recipes.Add(new("int8-reduce-range", "fuse+int8-dynamic") { Int8 = new DynamicInt8Options { PerChannel = true, ReduceRange = true } });
            recipes.Add(new("int8-static", "fuse+int8-static"));

            recipes.Add(new("int4-weights", "fuse+int4-weights"));
            if (fastInt8)
            {
                // MatMulNBits computing in int8 (accuracy_level 4) is ONNX Runtime's fast INT4 path where 8-bit dot
                // products are fast (VNNI, Arm's dot product). Without them it ran at 0.55-0.58x fp32 per layer
                // (BENCHMARKS.md, "The ceiling of 8-bit kernels"), so it is searched only here; the trial measures
                // its accuracy like any other.
                recipes.Add(new("int4-int8-compute", "fuse+int4-weights") { Int4 = Int4Options.RecipeDefault.WithAccuracyLevel(4) });
            }

            if (gpu)
            {
                recipes.Add(new("fp16", "fuse+fp16"));
            }
        }

        var cores = Math.Max(1, Environment.ProcessorCount);
        return new TuningSearchSpace
        {
            Recipes = recipes,
            Providers = gpu ? [ExecutionProvider.Cpu, ExecutionProvider.Cuda] : [ExecutionProvider.Cpu],
            IntraOpThreads = quick || cores == 1 ? [1] : [1, cores],
            OptimizationLevels = [GraphOptimizationLevel.ORT_ENABLE_ALL],
            MaxBatchSizes = quick ? [1, 8] : [1, 4, 16, 32],
            MaxQueueDelaysMs = quick ? [1] : [1, 4],
        };
    }

    /// <summary>Gets the number of configurations of one recipe.</summary>
    public int ConfigurationsPerRecipe => Settings().Count();

    /// <summary>Checks the space.</summary>
    /// <exception cref="ArgumentException">A list is empty or holds an invalid value.</exception>
    public void Validate()
    {
        if (Recipes.Count == 0 || Providers.Count == 0 || IntraOpThreads.Count == 0 || OptimizationLevels.Count == 0 || MaxBatchSizes.Count == 0 || MaxQueueDelaysMs.Count == 0)
        {
            throw new ArgumentException("Every list of the search space needs at least one entry.");
        }

        if (IntraOpThreads.Any(t => t < 0) || MaxBatchSizes.Any(b => b < 1) || MaxQueueDelaysMs.Any(d => d < 0 || double.IsNaN(d)))
        {
            throw new ArgumentException("Intra-op threads must be 0 or more, batch sizes 1 or more and delays 0 or more.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var recipe in Recipes)
        {
            if (!names.Add(recipe.Name))
            {
                throw new ArgumentException($"Two recipes of the search space are named '{recipe.Name}'; names must be unique.");
            }

            if (recipe.Recipe != RecipeCandidate.NoRecipe)
            {
                OptimizationRecipe.Parse(recipe.Recipe);
            }
        }
    }

    /// <summary>Lists the session × batching settings, in a stable order.</summary>
    /// <returns>The pairs.</returns>
    internal IEnumerable<(SessionSettings Session, BatchingSettings Batching)> Settings()
    {
        var cores = Math.Max(1, Environment.ProcessorCount);
        foreach (var provider in Providers)
        {
            foreach (var threads in IntraOpThreads.Distinct())
            {
                foreach (var level in OptimizationLevels.Distinct())
                {
                    var session = new SessionSettings(provider, threads, level);
                    var workers = provider != ExecutionProvider.Cpu || threads == 0 ? 1 : Math.Max(1, cores / threads);
                    foreach (var batch in MaxBatchSizes.Distinct())
                    {
                        // A batch of one never waits, so it is one configuration whatever the delays.
                        foreach (var delay in batch == 1 ? [0] : MaxQueueDelaysMs.Distinct())
                        {
                            yield return (session, new BatchingSettings(batch, delay, workers));
                        }
                    }
                }
            }
        }
    }
}
