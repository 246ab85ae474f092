using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Pipeline.Images;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P2 static INT8 on real photographs: ResNet18 <c>fuse+int8-static</c> variants (calibration method, weight range,
/// activation type, layers kept in float) calibrated on the 11 calibration photographs of <see cref="SamplePhotos"/>
/// (each at three scales) and measured on the 12 held-out ones (each at four scales, 48 inputs): feature cosine
/// against fp32 (mean, min) and top-1 agreement, then batch-1 speed of every variant against fp32, interleaved.
/// </summary>
internal sealed class RealImageInt8Workload : IWorkload
{
    private static readonly int[] CalibrationScales = [256, 288, 320];
    private static readonly int[] EvaluationScales = [224, 256, 288, 320];

    public string Name => "p2img";

    public string Title => "P2 static INT8 on real photographs: ResNet18 fuse vs fuse+int8-static variants (ORT_ENABLE_ALL, intra-op 1, b1)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var original = File.ReadAllBytes(ModelPaths.ResNet18Model);
        var fp32Model = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse("fuse")).Model;
        var calibration = Views(SamplePhotos.Calibration, CalibrationScales);
        var evaluation = Views(SamplePhotos.HeldOut, EvaluationScales);
        var (firstConv, lastConv) = EndConvs(fp32Model);
        progress.WriteLine($"  {calibration.Count} calibration inputs ({SamplePhotos.Calibration.Count} photographs), {evaluation.Count} held-out inputs ({SamplePhotos.HeldOut.Count} photographs); first conv {firstConv}, last conv {lastConv}");

        // "generated" calibrates on generated inputs, as the recipe does when given no data: the figure users saw before.
        var variants = new List<(string Name, StaticInt8Options Options)>
        {
            ("generated-minmax", new StaticInt8Options()),
            ("minmax", new StaticInt8Options()),
            ("minmax-reduce-range", new StaticInt8Options { ReduceRange = true }),
            ("percentile-99.999", new StaticInt8Options { Method = CalibrationMethod.Percentile }),
            ("percentile-99.99", new StaticInt8Options { Method = CalibrationMethod.Percentile, Percentile = 99.99 }),
            ("entropy", new StaticInt8Options { Method = CalibrationMethod.Entropy }),
            ("minmax-s8-symmetric", new StaticInt8Options { Activations = ActivationQuantization.Int8Symmetric }),
            ("minmax-ends-fp32", new StaticInt8Options { ExcludedNodeNames = [firstConv, lastConv] }),
            ("minmax-last-fp32", new StaticInt8Options { ExcludedNodeNames = [lastConv] }),
        };
        if (Environment.GetEnvironmentVariable("P2IMG_VARIANTS") is { Length: > 0 } only)
        {
            var keep = only.Split(',');
            variants = variants.Where(v => keep.Contains(v.Name)).ToList();
        }

        using var options = Options();
        using var fp32 = new InferenceSession(fp32Model, options);
        var input = fp32.InputNames[0];
        var output = fp32.OutputNames[0];
        var expected = evaluation.Select(x => Run(fp32, input, output, x)).ToList();
        var sessions = new List<(string Name, InferenceSession Session, string Note)>();
        try
        {
            foreach (var (name, variantOptions) in variants)
            {
                var timer = Stopwatch.StartNew();
                var result = ModelOptimizer.Optimize(
                    original,
                    OptimizationRecipe.Parse("fuse+int8-static"),
                    new RecipeContext
                    {
                        Samples = new SampleInputOptions { SampleCount = 1, BatchSize = 1 },
                        Calibration = name.StartsWith("generated", StringComparison.Ordinal) ? null : new CalibrationData(calibration.Select(Sample), variantOptions),
                    });
                var session = new InferenceSession(result.Model, options);
                var cosines = new List<double>();
                var agree = 0;
                for (var i = 0; i < evaluation.Count; i++)
                {
                    var actual = Run(session, input, output, evaluation[i]);
                    cosines.Add(TensorPrimitives.CosineSimilarity<float>(expected[i], actual));
                    agree += TensorPrimitives.IndexOfMax<float>(expected[i]) == TensorPrimitives.IndexOfMax<float>(actual) ? 1 : 0;
                }

                var worst = cosines.IndexOf(cosines.Min());
                var note = $"feature cosine vs fp32 over {evaluation.Count} held-out inputs: mean {cosines.Average():F4}, min {cosines.Min():F4} (input {worst}), top-1 {agree / (double)evaluation.Count:P1}";
                progress.WriteLine($"  {name,-24} {note} ({timer.Elapsed.TotalSeconds:F1} s)");
                sessions.Add((name, session, note));
            }

            var batch1 = evaluation[0];
            var timed = new List<BenchmarkVariant> { CallVariant.Create("resnet18-fp32-b1", null, () => Run(fp32, input, output, batch1), 4, 1) };
            timed.AddRange(sessions.Select(s => CallVariant.Create($"resnet18-int8-static-{s.Name}-b1", "resnet18-fp32-b1", () => Run(s.Session, input, output, batch1), 4, 1)));
            var notes = sessions.ToDictionary(s => $"resnet18-int8-static-{s.Name}-b1", s => s.Note, StringComparer.Ordinal);
            return new InterleavedRun(timed).Execute(Name, quick ? 15 : 40, v => notes.GetValueOrDefault(v.Name, "fp32: fuse (BatchNorm folded), ORT_ENABLE_ALL, intra-op 1"), progress);
        }
        finally
        {
            foreach (var (_, session, _) in sessions)
            {
                session.Dispose();
            }
        }
    }

    /// <summary>Each photograph preprocessed (ImageNet) with its shorter side at each scale, centre crop 224.</summary>
    private static List<float[]> Views(IReadOnlyList<string> photos, int[] scales) =>
        [.. photos.SelectMany(p => scales.Select(s => ImagePreprocessor.Preprocess(p, new ImagePreprocessingOptions { ResizeShorterSide = s })))];

    private static IReadOnlyDictionary<string, SampleTensor> Sample(float[] image) =>
        new Dictionary<string, SampleTensor>(StringComparer.Ordinal) { ["Input247"] = new SampleTensor(image, [1, 3, 224, 224]) };

    private static (string First, string Last) EndConvs(byte[] model)
    {
        var convs = OnnxModelIO.Parse(model).Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Name).ToList();
        return (convs[0], convs[^1]);
    }

    private static SessionOptions Options() => SingleThreadedSession.Options();

    private static float[] Run(InferenceSession session, string input, string output, float[] pixels)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [input], [value], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
