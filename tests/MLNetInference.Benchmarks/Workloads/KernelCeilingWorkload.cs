using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// What 8-bit integer kernels can gain over fp32 on this CPU, one layer at a time (issue 12): single-layer graphs of
/// the shapes that dominate MiniLM and ResNet18, in fp32 and as our <c>int8-dynamic</c> and <c>int8-static</c>
/// recipes make them, run by ONNX Runtime side by side (ORT_ENABLE_ALL, intra-op 1). A model can gain no more from
/// INT8 than its largest layers do, so the ratios here bound the model-level targets on the machine that runs them.
/// </summary>
internal sealed class KernelCeilingWorkload : IWorkload
{
    private const double SliceSeconds = 0.1;

    public string Name => "kernels";

    public string Title => "INT8 against fp32 per layer: the ceiling of ONNX Runtime's 8-bit CPU kernels on this machine (intra-op 1)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var vnni = CpuInt8Kernels.HasVnni ? "with VNNI" : "without VNNI (no AVX-512 VNNI or AVX-VNNI)";
        progress.WriteLine($"  this CPU: {CpuInt8Kernels.InstructionSet}; {vnni}");
        var layers = new[]
        {
            Layer.MatMul("minilm-ffn-seq128", 128, 384, 1536, 4),
            Layer.MatMul("minilm-ffn-b16-seq128", 2048, 384, 1536, 2),
            Layer.Conv("resnet18-stem-7x7", 3, 64, 224, 7, 2, 1),
            Layer.Conv("resnet18-layer1-3x3", 64, 64, 56, 3, 1, 4),
            Layer.Conv("resnet18-layer3-3x3", 256, 256, 14, 3, 1, 4),
        };

        var records = new List<BenchmarkRecord>();
        var owned = new List<IDisposable>();
        using var options = SingleThreadedSession.Options();
        try
        {
            var variants = new List<BenchmarkVariant>();
            foreach (var layer in layers)
            {
                var fp32 = layer.Model();
                var forms = new List<(string Recipe, byte[] Model)> { ("fp32", fp32) };
                if (layer.IsMatMul)
                {
                    forms.Add(("int8-dynamic", ModelOptimizer.Optimize(fp32, OptimizationRecipe.Parse("int8-dynamic")).Model));

                    // INT4 weights (MatMulNBits), as the recipe's default makes them but with no MatMul kept float: fp32
                    // compute (accuracy_level 0) and int8 compute (accuracy_level 4, the fast path with VNNI).
                    foreach (var (form, level) in new[] { ("int4-level0", 0), ("int4-level4", 4) })
                    {
                        var int4 = new Int4Options { Symmetric = false, BlockSize = 16, ErrorMinimizingScales = true, AccuracyLevel = level };
                        forms.Add((form, ModelOptimizer.Optimize(fp32, OptimizationRecipe.Parse("int4-weights"), new RecipeContext { Int4 = int4 }).Model));
                    }
                }

                var calibration = new CalibrationData(Enumerable.Range(0, 4).Select(i => layer.Sample(seed: 10 + i)));
                var quantized = ModelOptimizer.Optimize(fp32, OptimizationRecipe.Parse(layer.IsMatMul ? "int8-static" : "fuse+int8-static"), null, calibration);
                if (!quantized.Applied)
                {
                    throw new InvalidOperationException($"int8-static left {layer.Name} unchanged: {quantized.UnchangedReason}");
                }

                forms.Add(("int8-static", quantized.Model));

                var input = layer.Sample(seed: 99)["x"];
                var baseline = $"{layer.Name}-fp32";
                foreach (var (recipe, model) in forms)
                {
                    var session = new InferenceSession(model, options);
                    owned.Add(session);
                    var call = Call(session, input, owned);
                    call();
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    call();
                    var calls = Math.Max(2, (int)Math.Ceiling(SliceSeconds / Math.Max(watch.Elapsed.TotalSeconds, 1e-4)));
                    var name = $"{layer.Name}-{recipe}";
                    progress.WriteLine($"  {name}: {string.Join(", ", Ops(model))}; ONNX Runtime runs {string.Join(", ", Ops(RuntimeGraph(model)))}");
                    variants.Add(CallVariant.Create(name, recipe == "fp32" ? null : baseline, call, calls, 1));
                }
            }

            var rounds = quick ? 15 : 40;
            var results = new InterleavedRun(variants).Execute(Name, rounds, _ => string.Empty, progress);
            Console.WriteLine();
            Console.WriteLine($"#### {Title}");
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"This CPU: {CpuInt8Kernels.InstructionSet}, {vnni}. A block of layers per graph (ReLU between), fixed shapes, ORT_ENABLE_ALL, intra-op 1; {rounds} interleaved rounds, medians of per-round throughput and of paired ratios against the layer's fp32 graph. int8-dynamic is DynamicQuantizeMatMul (activations quantized per call); int8-static is QDQ calibrated on 4 generated inputs, which ORT runs as QLinearMatMul/QLinearConv; int4 is MatMulNBits (asymmetric blocks of 16) computing in fp32 (accuracy_level 0) or in int8 (accuracy_level 4)."));
            Console.WriteLine();
            Console.WriteLine("| block | layers | multiply-adds | fp32 G MAC/s | int8-dynamic | int8-static | int4 weights, level 0 | int4 weights, level 4 |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
            foreach (var layer in layers)
            {
                var fp32 = results.Single(r => r.Variant == $"{layer.Name}-fp32");
                string Ratio(string recipe) =>
                    results.SingleOrDefault(r => r.Variant == $"{layer.Name}-{recipe}") is { RatioVs: { } ratio } ? string.Create(CultureInfo.InvariantCulture, $"{ratio.Values.First():F2}×") : "—";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {layer.Name} | {layer.Shape} | {layer.MultiplyAdds / 1e6:F1} M | {fp32.RowsPerS * layer.MultiplyAdds / 1e9:F1} | {Ratio("int8-dynamic")} | {Ratio("int8-static")} | {Ratio("int4-level0")} | {Ratio("int4-level4")} |"));
            }

            records.AddRange(results.Select(r => r with { Note = $"{CpuInt8Kernels.InstructionSet}, {vnni}; rows/s are layer calls per second" }));
            return records;
        }
        finally
        {
            foreach (var disposable in owned)
            {
                disposable.Dispose();
            }
        }
    }

    private static IEnumerable<string> Ops(byte[] model) =>
        MLNetInference.Core.Onnx.OnnxModelIO.Parse(model).Graph.Node.GroupBy(n => n.OpType).Select(g => $"{g.Count()} {g.Key}");

    /// <summary>The graph ONNX Runtime runs after its own optimization (what the kernels really are).</summary>
    private static byte[] RuntimeGraph(byte[] model)
    {
        var file = Path.Combine(Path.GetTempPath(), $"mlnetinference-kernels-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1, OptimizedModelFilePath = file, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR })
            using (new InferenceSession(model, options))
            {
            }

            return File.ReadAllBytes(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>One call on a fixed input; the input tensor and the run options are made once and disposed with <paramref name="owned"/>.</summary>
    private static Action Call(InferenceSession session, SampleTensor input, List<IDisposable> owned)
    {
        var tensor = OrtValue.CreateTensorValueFromMemory((float[])input.Data, input.Shape);
        var runOptions = new RunOptions();
        owned.Add(tensor);
        owned.Add(runOptions);
        var inputs = new Dictionary<string, OrtValue> { ["x"] = tensor };
        var outputNames = new[] { "y" };
        return () =>
        {
            using var results = session.Run(runOptions, inputs, outputNames);
        };
    }

    /// <summary>
    /// A block of layers: MatMuls with weight initializers, or Convs with weights and bias, with a ReLU between them, so
    /// that the layout changes and (de)quantization at the graph's edges are paid once per block as in a real model.
    /// </summary>
    private sealed record Layer(string Name, bool IsMatMul, long[] InputShape, long[] OutputShape, long[][] WeightShapes, long Stride, string Shape, double MultiplyAdds)
    {
        /// <summary>MatMuls that alternate between <paramref name="k"/>→<paramref name="n"/> and back (an FFN); an odd count ends at <paramref name="n"/>.</summary>
        public static Layer MatMul(string name, long m, long k, long n, int count)
        {
            var weights = Enumerable.Range(0, count).Select(i => i % 2 == 0 ? new[] { k, n } : new[] { n, k }).ToArray();
            var outWidth = count % 2 == 0 ? k : n;
            return new(name, true, [m, k], [m, outWidth], weights, 1, $"{count} × [{m}×{k}]·[{k}×{n}] (alternating back), ReLU between", (double)m * k * n * count);
        }

        /// <summary>Convs with padding kernel/2; after the first, each keeps the channel count and size.</summary>
        public static Layer Conv(string name, long inChannels, long outChannels, long size, long kernel, long stride, int count)
        {
            if (count > 1 && (stride != 1 || inChannels != outChannels))
            {
                throw new ArgumentException("Only a block of stride-1, same-channel convolutions repeats.");
            }

            var outSize = ((size + (2 * (kernel / 2)) - kernel) / stride) + 1;
            var weights = Enumerable.Range(0, count).Select(_ => new[] { outChannels, inChannels, kernel, kernel }).ToArray();
            return new(
                name,
                false,
                [1, inChannels, size, size],
                [1, outChannels, 1, 1],
                weights,
                stride,
                $"{count} × {inChannels}→{outChannels}, {kernel}×{kernel}/{stride} on {size}×{size}, ReLU after each, then GlobalAveragePool",
                (double)outChannels * outSize * outSize * inChannels * kernel * kernel * count);
        }

        public byte[] Model()
        {
            var random = new Random(7);
            var builder = new TestModelBuilder(Name).Input("x", InputShape.Cast<object>().ToArray()).Output("y", OutputShape.Cast<object>().ToArray());
            var current = "x";
            var convs = new List<(int Index, long[] Shape)>();
            for (var l = 0; l < WeightShapes.Length; l++)
            {
                var shape = WeightShapes[l];
                var weights = new float[shape.Aggregate(1L, (a, b) => a * b)];
                var fanIn = IsMatMul ? shape[0] : shape[1] * shape[2] * shape[3];
                var scale = (float)Math.Sqrt(2.0 / fanIn);
                for (var i = 0; i < weights.Length; i++)
                {
                    weights[i] = (float)((random.NextDouble() * 2) - 1) * scale;
                }

                // A conv block ends in ReLU and GlobalAveragePool, as ResNet18 does, so its last Conv's output is quantized too.
                var last = l == WeightShapes.Length - 1 && IsMatMul;
                var output = last ? "y" : $"h{l}";
                builder.Float($"w{l}", shape, weights);
                if (IsMatMul)
                {
                    builder.Node("MatMul", $"matmul{l}", [current, $"w{l}"], [last ? output : $"{output}_pre"]);
                }
                else
                {
                    builder.Float($"b{l}", [shape[0]], new float[shape[0]]).Node("Conv", $"conv{l}", [current, $"w{l}", $"b{l}"], [last ? output : $"{output}_pre"]);
                    convs.Add((builder.Build().Graph.Node.Count - 1, shape));
                }

                if (!last)
                {
                    builder.Node("Relu", $"relu{l}", [$"{output}_pre"], [output]);
                }

                current = output;
            }

            if (!IsMatMul)
            {
                builder.Node("GlobalAveragePool", "pool", [current], ["y"]);
            }

            foreach (var (index, shape) in convs)
            {
                var node = builder.Build().Graph.Node[index];
                var pad = shape[2] / 2;
                node.Attribute.Add(Ints("kernel_shape", shape[2], shape[3]));
                node.Attribute.Add(Ints("pads", pad, pad, pad, pad));
                node.Attribute.Add(Ints("strides", Stride, Stride));
            }

            return builder.Bytes();
        }

        public IReadOnlyDictionary<string, SampleTensor> Sample(int seed)
        {
            var random = new Random(seed);
            var data = new float[InputShape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < data.Length; i++)
            {
                // The distribution of the optimizer's own verification inputs (uniform in [-1, 1]), so the calibrated ranges fit them.
                data[i] = (float)((random.NextDouble() * 2) - 1);
            }

            return new Dictionary<string, SampleTensor>(StringComparer.Ordinal) { ["x"] = new SampleTensor(data, InputShape) };
        }

        private static AttributeProto Ints(string name, params long[] values)
        {
            var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.AddRange(values);
            return attribute;
        }
    }
}
