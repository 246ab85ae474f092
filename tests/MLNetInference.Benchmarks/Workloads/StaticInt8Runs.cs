using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Pipeline.Scoring;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// The static-INT8 (QDQ) part of P2: ResNet18 fp32 against <c>fuse+int8-static</c> at batch 1 and 16 with feature
/// cosine and top-1 agreement over synthetic images, and MiniLM <c>int8-static</c> against fp32 and our dynamic INT8
/// with embedding cosine over real sentences. Same session options as the rest of P2 (ORT_ENABLE_ALL, intra-op 1).
/// </summary>
internal static class StaticInt8Runs
{
    private const int LargeBatch = 16;
    private const int AccuracyImages = 200;
    private const int SequenceLength = 128;

    public static IReadOnlyList<BenchmarkRecord> ResNet18(string workload, bool quick, TextWriter progress)
    {
        var original = File.ReadAllBytes(ModelPaths.ResNet18Model);
        var calibrationCount = quick ? 8 : 32;
        var timer = Stopwatch.StartNew();

        // fp32 is the fused model: BatchNormalization folded (ORT does the same at load) and the batch made symbolic so
        // that batch 16 runs; the original pins batch 1.
        var fp32Model = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse("fuse")).Model;
        var int8 = ModelOptimizer.Optimize(
            original,
            OptimizationRecipe.Parse("fuse+int8-static"),
            new SampleInputOptions { SampleCount = 1, BatchSize = 1 },
            new CalibrationData(Images(calibrationCount, seed: 1).Select(Sample)));
        progress.WriteLine($"  ResNet18 fuse+int8-static calibrated on {calibrationCount} synthetic images in {timer.Elapsed.TotalSeconds:F1} s");

        using var options = Options();
        using var fp32 = new InferenceSession(fp32Model, options);
        using var quantized = new InferenceSession(int8.Model, options);
        var (cosine, minCosine, top1) = ImageAgreement(fp32, quantized);
        progress.WriteLine($"  ResNet18 int8-static vs fp32 over {AccuracyImages} images: feature cosine mean {cosine:F4}, min {minCosine:F4}, top-1 {top1:P1}");

        var input = fp32.InputNames[0];
        var output = fp32.OutputNames[0];
        var batch1 = Images(1, seed: 77)[0];
        var batch16 = Images(LargeBatch, seed: 78).SelectMany(i => i).ToArray();
        var variants = new[]
        {
            CallVariant.Create("resnet18-fp32-ort-b1", null, () => RunImages(fp32, input, output, batch1, 1), 4, 1),
            CallVariant.Create("resnet18-int8-static-b1", "resnet18-fp32-ort-b1", () => RunImages(quantized, input, output, batch1, 1), 4, 1),
            CallVariant.Create("resnet18-fp32-ort-b16", null, () => RunImages(fp32, input, output, batch16, LargeBatch), 1, LargeBatch),
            CallVariant.Create("resnet18-int8-static-b16", "resnet18-fp32-ort-b16", () => RunImages(quantized, input, output, batch16, LargeBatch), 1, LargeBatch),
        };
        var note = $"ResNet18 (fp32 = fuse: BatchNorm folded, batch symbolic) vs fuse+int8-static (QDQ: uint8 activations, per-channel int8 weights, MinMax " +
            $"calibration on {calibrationCount} synthetic images; ORT runs it as QLinearConv/QLinearAdd); ORT_ENABLE_ALL, intra-op 1; " +
            $"feature cosine vs fp32 over {AccuracyImages} synthetic images (smooth gratings and blobs) mean {cosine:F4}, min {minCosine:F4}, top-1 agreement {top1:P1}.";
        return new InterleavedRun(variants).Execute(workload, quick ? 20 : 60, _ => note, progress);
    }

    public static IReadOnlyList<BenchmarkRecord> MiniLm(string workload, bool quick, TextWriter progress)
    {
        var original = File.ReadAllBytes(ModelPaths.MiniLmModel);
        var calibrationRows = quick ? 128 : 256;
        var sentences = quick ? 200 : 1000;
        var ml = new MLContext(seed: 0);
        var corpus = SentenceCorpus.Load(sentences + calibrationRows);
        var calibrationText = ml.Data.LoadFromEnumerable(corpus.Skip(sentences).Select(s => new TextRow { Text = s }));
        var tokenized = ml.Transforms.TokenizeForBert(nameof(TextRow.Text), ModelPaths.MiniLmVocab, SequenceLength).Fit(calibrationText).Transform(calibrationText);
        var timer = Stopwatch.StartNew();
        var staticModel = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse("int8-static"), null, new CalibrationData(DataViewCalibration.Read(tokenized, original, maxRows: calibrationRows))).Model;
        progress.WriteLine($"  MiniLM int8-static calibrated on {calibrationRows} sentences in {timer.Elapsed.TotalSeconds:F1} s");
        var dynamicModel = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse("int8-dynamic")).Model;

        var directory = Directory.CreateTempSubdirectory("p2-static-").FullName;
        try
        {
            var staticPath = Path.Combine(directory, "static.onnx");
            var dynamicPath = Path.Combine(directory, "dynamic.onnx");
            File.WriteAllBytes(staticPath, staticModel);
            File.WriteAllBytes(dynamicPath, dynamicModel);
            var evaluation = corpus.Take(sentences).ToList();
            var fp32Embeddings = Embed(ml, ModelPaths.MiniLmModel, evaluation);
            var (staticMean, staticMin) = Cosines(fp32Embeddings, Embed(ml, staticPath, evaluation));
            var (dynamicMean, dynamicMin) = Cosines(fp32Embeddings, Embed(ml, dynamicPath, evaluation));
            progress.WriteLine($"  MiniLM cosine vs fp32 over {sentences} sentences: int8-static mean {staticMean:F4} min {staticMin:F4}; int8-dynamic mean {dynamicMean:F4} min {dynamicMin:F4}");

            using var options = Options();
            using var fp32 = new InferenceSession(original, options);
            using var quantizedStatic = new InferenceSession(staticModel, options);
            using var quantizedDynamic = new InferenceSession(dynamicModel, options);
            var inputNames = fp32.InputMetadata.Keys.ToList();
            var tokens = FullLengthTokens.Rows(inputNames, LargeBatch, SequenceLength);
            var hidden = (int)fp32.OutputMetadata["last_hidden_state"].Dimensions[^1];
            using var fp32b1 = new RawCalls(fp32, inputNames, tokens, 1, hidden);
            using var staticb1 = new RawCalls(quantizedStatic, inputNames, tokens, 1, hidden);
            using var dynamicb1 = new RawCalls(quantizedDynamic, inputNames, tokens, 1, hidden);
            using var fp32b16 = new RawCalls(fp32, inputNames, tokens, LargeBatch, hidden);
            using var staticb16 = new RawCalls(quantizedStatic, inputNames, tokens, LargeBatch, hidden);
            using var dynamicb16 = new RawCalls(quantizedDynamic, inputNames, tokens, LargeBatch, hidden);
            var variants = new[]
            {
                CallVariant.Create("minilm-fp32-ort-b1", null, fp32b1.Run, 4, 1),
                CallVariant.Create("minilm-int8-dynamic-b1", "minilm-fp32-ort-b1", dynamicb1.Run, 4, 1),
                CallVariant.Create("minilm-int8-static-b1", "minilm-fp32-ort-b1", staticb1.Run, 4, 1),
                CallVariant.Create("minilm-fp32-ort-b16", null, fp32b16.Run, 1, LargeBatch),
                CallVariant.Create("minilm-int8-dynamic-b16", "minilm-fp32-ort-b16", dynamicb16.Run, 1, LargeBatch),
                CallVariant.Create("minilm-int8-static-b16", "minilm-fp32-ort-b16", staticb16.Run, 1, LargeBatch),
            };
            var note = $"MiniLM seq {SequenceLength}: int8-static (QDQ, uint8 activations calibrated MinMax on {calibrationRows} corpus sentences, per-channel int8 weights; " +
                $"ORT runs the MatMuls as MatMulIntegerToFloat) vs int8-dynamic; ORT_ENABLE_ALL, intra-op 1; embedding cosine vs fp32 over {sentences} other sentences: " +
                $"static mean {staticMean:F4} min {staticMin:F4}, dynamic mean {dynamicMean:F4} min {dynamicMin:F4}.";
            return new InterleavedRun(variants).Execute(workload, quick ? 20 : 60, _ => note, progress);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static SessionOptions Options() => SingleThreadedSession.Options();

    private static IReadOnlyDictionary<string, SampleTensor> Sample(float[] image) =>
        new Dictionary<string, SampleTensor>(StringComparer.Ordinal) { ["Input247"] = new SampleTensor(image, [1, 3, 224, 224]) };

    /// <summary>
    /// Synthetic 224×224 RGB images with some of a photo's structure: a few oriented gratings and soft blobs per
    /// channel, plus a little noise, in the normalized range of the featurizer's input (about ±2).
    /// </summary>
    private static List<float[]> Images(int count, int seed)
    {
        var random = new Random(seed);
        var images = new List<float[]>(count);
        for (var n = 0; n < count; n++)
        {
            var image = new float[3 * 224 * 224];
            var gratings = Enumerable.Range(0, 3).Select(_ => (Fx: random.NextDouble() * 0.2, Fy: random.NextDouble() * 0.2, Phase: random.NextDouble() * 6.28, Amp: random.NextDouble())).ToArray();
            var blobs = Enumerable.Range(0, 4).Select(_ => (X: random.Next(224), Y: random.Next(224), R: 10 + random.Next(60), Amp: (random.NextDouble() * 3) - 1.5)).ToArray();
            for (var c = 0; c < 3; c++)
            {
                var tint = (random.NextDouble() * 2) - 1;
                for (var y = 0; y < 224; y++)
                {
                    for (var x = 0; x < 224; x++)
                    {
                        var v = tint * 0.5;
                        foreach (var g in gratings)
                        {
                            v += g.Amp * 0.5 * Math.Sin((g.Fx * x) + (g.Fy * y) + g.Phase + c);
                        }

                        foreach (var b in blobs)
                        {
                            var d2 = ((x - b.X) * (x - b.X)) + ((y - b.Y) * (y - b.Y));
                            v += b.Amp * Math.Exp(-d2 / (2.0 * b.R * b.R));
                        }

                        image[(c * 224 * 224) + (y * 224) + x] = (float)Math.Clamp(v + ((random.NextDouble() - 0.5) * 0.1), -2.2, 2.2);
                    }
                }
            }

            images.Add(image);
        }

        return images;
    }

    private static float[] RunImages(InferenceSession session, string input, string output, float[] pixels, int batch)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(pixels, [batch, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [input], [value], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static (double Mean, double Min, double Top1) ImageAgreement(InferenceSession fp32, InferenceSession int8)
    {
        var input = fp32.InputNames[0];
        var output = fp32.OutputNames[0];
        var cosines = new List<double>();
        var agree = 0;
        foreach (var image in Images(AccuracyImages, seed: 1000))
        {
            var expected = RunImages(fp32, input, output, image, 1);
            var actual = RunImages(int8, input, output, image, 1);
            cosines.Add(TensorPrimitives.CosineSimilarity<float>(expected, actual));
            agree += TensorPrimitives.IndexOfMax<float>(expected) == TensorPrimitives.IndexOfMax<float>(actual) ? 1 : 0;
        }

        return (cosines.Average(), cosines.Min(), agree / (double)AccuracyImages);
    }

    private static List<float[]> Embed(MLContext ml, string modelPath, IReadOnlyList<string> sentences)
    {
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new TextRow { Text = s }));
        var embedded = ml.Transforms.EmbedSentences(nameof(TextRow.Text), modelPath, ModelPaths.MiniLmVocab).Fit(data).Transform(data);
        return DataViewReader.ReadVectors<float>(embedded, "embedding");
    }

    private static (double Mean, double Min) Cosines(List<float[]> a, List<float[]> b)
    {
        var cosines = a.Zip(b, (x, y) => (double)TensorPrimitives.CosineSimilarity<float>(x, y)).ToList();
        return cosines.Count == a.Count ? (cosines.Average(), cosines.Min()) : throw new InvalidOperationException("Embedding counts differ.");
    }
}
