using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Onnx;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P2 INT4: MiniLM fp32 under ORT_ENABLE_ALL against <c>fuse+int4-weights</c> (MatMulNBits) with each
/// <c>accuracy_level</c> (0: ORT's choice, 1: fp32 activations, 4: int8 activations) and block settings, at batch 1
/// and 16 of 128 real tokens, with the pooled-embedding cosine against fp32 over real sentences.
/// </summary>
internal sealed class Int4Workload : IWorkload
{
    private const int SequenceLength = 128;
    private const int LargeBatch = 16;
    private const int SensitivitySentences = 8;

    public string Name => "p2int4";

    public string Title => "P2 INT4: MiniLM fp32 vs fuse+int4-weights (MatMulNBits) by accuracy_level (ORT_ENABLE_ALL, intra-op 1, seq 128)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var sentences = quick ? 300 : 1000;
        // The keep-N rows quantize at block 32 (or 64) with accuracy_level 4 and keep the N MatMuls float whose return to float
        // raises the model's output cosine most: measured on generated inputs, or ("-real") on 8 real sentences that are
        // not among the ones the cosine is measured on (given to the recipe as calibration data).
        var variants = new List<(string Name, Int4Options Options, bool RealSensitivityInputs)>
        {
            ("int4-b16-level0", new Int4Options { Symmetric = false, BlockSize = 16, ErrorMinimizingScales = true }, false),
            ("int4-b16-level4", new Int4Options { Symmetric = false, BlockSize = 16, ErrorMinimizingScales = true, AccuracyLevel = 4 }, false),
            ("int4-b32-level4", new Int4Options { Symmetric = false, BlockSize = 32, ErrorMinimizingScales = true, AccuracyLevel = 4 }, false),
            ("int4-b32-sym-level4", new Int4Options { BlockSize = 32, ErrorMinimizingScales = true, AccuracyLevel = 4 }, false),
            ("int4-b32-level1", new Int4Options { Symmetric = false, BlockSize = 32, ErrorMinimizingScales = true, AccuracyLevel = 1 }, false),
            ("int4-b16-level0-keep2", Int4Options.RecipeDefault, false),
            ("int4-b32-level4-keep4", Keep(4), false),
            ("int4-b32-level4-keep6", Keep(6), false),
            ("int4-b32-level4-keep2-real", Keep(2), true),
            ("int4-b32-level4-keep3-real", Keep(3), true),
            ("int4-b64-level4", new Int4Options { Symmetric = false, BlockSize = 64, ErrorMinimizingScales = true, AccuracyLevel = 4 }, false),
            ("int4-b64-level4-keep6", Keep(6, blockSize: 64), false),
        };
        if (Environment.GetEnvironmentVariable("P2INT4_VARIANTS") is { Length: > 0 } only)
        {
            var keep = only.Split(',');
            variants = variants.Where(v => keep.Contains(v.Name)).ToList();
        }

        progress.WriteLine($"  VNNI: {(CpuInt8Kernels.SaturatesFullRangeInt8Weights ? "no (x64 AVX2 without VNNI)" : "yes, or not x64")}");
        var directory = Directory.CreateTempSubdirectory("p2-int4-").FullName;
        var sessions = new List<InferenceSession>();
        var calls = new List<RawCalls>();
        try
        {
            var loaded = SentenceCorpus.Load(sentences + SensitivitySentences);
            var corpus = loaded.Take(sentences).ToList();
            var sensitivityInputs = new CalibrationData(RealInputs(loaded.Skip(sentences).ToList()));
            var fp32Embeddings = Embed(ModelPaths.MiniLmModel, corpus);
            var notes = new Dictionary<string, string>(StringComparer.Ordinal);
            var paths = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, options, real) in variants)
            {
                var timer = Stopwatch.StartNew();
                var model = OnnxModelIO.Load(ModelPaths.MiniLmModel);
                OptimizationRecipe.Parse("fuse+int4-weights").CreatePasses(new RecipeContext { Int4 = options, Calibration = real ? sensitivityInputs : null }).Run(model);
                var path = Path.Combine(directory, name + ".onnx");
                File.WriteAllBytes(path, OnnxModelIO.ToBytes(model));
                var cosines = fp32Embeddings.Zip(Embed(path, corpus), (a, b) => (double)TensorPrimitives.CosineSimilarity<float>(a, b)).ToList();
                var nbits = model.Graph.Node.Count(n => n.OpType == "MatMulNBits");
                var kept = options.KeepMostSensitiveInFloat == 0 ? string.Empty : $", kept float by output sensitivity on {(real ? $"{SensitivitySentences} real sentences" : "generated inputs")}: {string.Join(" ", model.Graph.Node.Where(n => n.OpType == "MatMul" && n.Input.Count == 2 && model.Graph.Initializer.Any(i => i.Name == n.Input[1])).Select(n => n.Name))}";
                notes[name] = $"{name}: {nbits} MatMulNBits (block {options.BlockSize}, {(options.Symmetric ? "symmetric" : "asymmetric")}, accuracy_level {options.AccuracyLevel}{kept}), built in {timer.Elapsed.TotalSeconds:F1} s; pooled cosine vs fp32 over {sentences} sentences mean {cosines.Average():F4}, min {cosines.Min():F4}";
                progress.WriteLine($"  {notes[name]}");
                paths[name] = path;
            }

            using var sessionOptions = SingleThreadedSession.Options();
            var fp32 = new InferenceSession(ModelPaths.MiniLmModel, sessionOptions);
            sessions.Add(fp32);
            var quantized = variants.Select(v => new InferenceSession(paths[v.Name], sessionOptions)).ToList();
            sessions.AddRange(quantized);
            var timed = RawCalls.AgainstBaseline(
                fp32, "minilm-fp32-ort", [.. variants.Select((v, i) => ($"minilm-{v.Name}", quantized[i]))], LargeBatch, SequenceLength, calls);

            return new InterleavedRun(timed).Execute(
                Name,
                quick ? 15 : 50,
                v => notes.FirstOrDefault(n => v.Name.StartsWith($"minilm-{n.Key}-b", StringComparison.Ordinal)).Value ?? "fp32: the original MiniLM; ORT_ENABLE_ALL, intra-op 1",
                progress);
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }

            foreach (var session in sessions)
            {
                session.Dispose();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static Int4Options Keep(int count, int blockSize = 32, int accuracyLevel = 4) => new()
    {
        Symmetric = false,
        BlockSize = blockSize,
        ErrorMinimizingScales = true,
        AccuracyLevel = accuracyLevel,
        KeepMostSensitiveInFloat = count,
        SensitivitySamples = new SampleInputOptions { SampleCount = 4 },
    };

    // Each held-out sentence is one input of batch 1, tokenized as the CLI tokenizes --calibration-text.
    private static List<IReadOnlyDictionary<string, SampleTensor>> RealInputs(IReadOnlyList<string> sentences)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new TextRow { Text = s }));
        var tokenized = ml.Transforms.TokenizeForBert(nameof(TextRow.Text), ModelPaths.MiniLmVocab, maxLength: SequenceLength).Fit(data).Transform(data);
        return [.. DataViewCalibration.Read(tokenized, File.ReadAllBytes(ModelPaths.MiniLmModel), maxRows: sentences.Count)];
    }

    private static List<float[]> Embed(string modelPath, IReadOnlyList<string> sentences)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new TextRow { Text = s }));
        var embedded = ml.Transforms.EmbedSentences(nameof(TextRow.Text), modelPath, ModelPaths.MiniLmVocab).Fit(data).Transform(data);
        return DataViewReader.ReadVectors<float>(embedded, "embedding");
    }
}
