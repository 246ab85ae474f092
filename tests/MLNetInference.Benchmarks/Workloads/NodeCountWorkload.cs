using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P5 node counts: the original graph, what ONNX Runtime's online optimizer (ENABLE_ALL) leaves, our recipe's
/// output, and our output after ONNX Runtime's online optimizer (what actually runs).
/// </summary>
internal sealed class NodeCountWorkload : IWorkload
{
    public string Name => "p5";

    public string Title => "P5 node counts: original, ONNX Runtime online, ours (MiniLM, ResNet18)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var records = new List<BenchmarkRecord>();
        var folder = Path.Combine(Path.GetTempPath(), $"mlnetinference-p5-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var (label, path) in new[] { ("minilm", ModelPaths.MiniLmModel), ("resnet18", ModelPaths.ResNet18Model) })
            {
                var original = File.ReadAllBytes(path);
                var ours = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse(OptimizationRecipe.Fuse));
                var counts = new (string Variant, int Nodes, bool Baseline)[]
                {
                    ($"original-{label}", ours.NodesBefore, true),
                    ($"ort-online-{label}", OnlineNodes(original, Path.Combine(folder, $"{label}-online.onnx")), false),
                    ($"ours-fuse-{label}", ours.NodesAfter, false),
                    ($"ours-fuse-then-ort-online-{label}", OnlineNodes(ours.Model, Path.Combine(folder, $"{label}-ours-online.onnx")), false),
                };
                foreach (var (variant, nodes, baseline) in counts)
                {
                    progress.WriteLine($"  {variant}: {nodes} nodes");
                    records.Add(new BenchmarkRecord(Name, variant, baseline, null, null, null, null, ProcessMemory.PeakRssMb(), null,
                        $"nodes={nodes}; ours = the fuse recipe: Identity/Dropout removal, dead code, symbolic batch, BatchNorm into Conv, LayerNorm, Gelu, BiasGelu, SkipLayerNorm and Attention fusion"));
                }
            }
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

        return records;
    }

    private static int OnlineNodes(byte[] model, string optimizedPath)
    {
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimizedPath })
        using (new InferenceSession(model, options))
        {
        }

        return OnnxModelIO.Load(optimizedPath).Graph.Node.Count;
    }
}
