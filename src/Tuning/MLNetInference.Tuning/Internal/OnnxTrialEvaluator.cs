using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Tuning.Internal;

/// <summary>Measures trials with ONNX Runtime: builds each recipe's model, compares it with the original on the samples, and times it under load.</summary>
internal sealed class OnnxTrialEvaluator : ITrialEvaluator, IDisposable
{
    private readonly byte[] _original;
    private readonly IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> _samples;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly OnnxSessionFactory _factory = new();
    private readonly Dictionary<string, byte[]> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _unchanged = new(StringComparer.Ordinal);
    private List<Dictionary<string, (float[] Values, long[] Shape)>>? _expected;
    private string? _groupKey;
    private List<OnnxModelSession> _group = [];

    public OnnxTrialEvaluator(byte[] original, IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> samples)
    {
        _original = original;
        _samples = samples;
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(original)) + ":" + SampleHash(samples);
    }

    public string Fingerprint { get; }

    public TimeSpan Elapsed => _clock.Elapsed;

    public byte[] BuildModel(RecipeCandidate candidate)
    {
        if (candidate.Recipe == RecipeCandidate.NoRecipe)
        {
            return _original;
        }

        if (_models.TryGetValue(candidate.Key, out var built))
        {
            return built;
        }

        var proto = OnnxModelIO.Parse(_original);
        var passes = Passes(candidate, includeQuantization: true, _samples);
        passes.RollBackFailedPasses = true;
        var changed = passes.Run(proto);
        if (passes.LastReport is { RolledBack.Count: > 0 } report)
        {
            // The trial would not be the recipe it is named after: it fails, with the reason, and the search goes on.
            throw new InvalidOperationException($"Recipe '{candidate.Recipe}' does not apply to this model: {string.Join("; ", report.RolledBack)}.");
        }

        if (IsQuantizing(candidate.Recipe) && !QuantizationChanged(passes))
        {
            throw new InvalidOperationException($"Recipe '{candidate.Recipe}' found nothing to quantize in this model (no float weight its quantizer rewrites), so the trial would be the float model.");
        }

        _unchanged[candidate.Key] = changed ? null : "no pass of the recipe found anything to change in this model" + SkippedRules(passes.LastReport);
        built = changed ? OnnxModelIO.ToBytes(proto) : _original;
        if (_models.Count > 8)
        {
            _models.Clear();
        }

        _models[candidate.Key] = built;
        return built;
    }

    /// <summary>
    /// Says why a candidate's recipe left the model as it was (its trials then run the original), or
    /// <see langword="null"/> when it changed the model, has no recipe, or cannot be built (its trials fail and say why).
    /// </summary>
    public string? UnchangedReason(RecipeCandidate candidate)
    {
        if (candidate.Recipe == RecipeCandidate.NoRecipe)
        {
            return null;
        }

        if (!_unchanged.ContainsKey(candidate.Key))
        {
            try
            {
                _models.Remove(candidate.Key);
                BuildModel(candidate);
            }
            catch (Exception ex) when (ex is InvalidOperationException or PassFailedException)
            {
                return null;
            }
        }

        return _unchanged.GetValueOrDefault(candidate.Key);
    }

    public IReadOnlyList<string> QuantizedNodes(RecipeCandidate candidate, CancellationToken cancellationToken)
    {
        var proto = OnnxModelIO.Parse(_original);
        Passes(candidate, includeQuantization: false, _samples).Run(proto);
        var weights = proto.Graph.Initializer.Where(i => i.Dims.Count == 2).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var int8 = candidate.Recipe.Contains(OptimizationRecipe.Int8Dynamic, StringComparison.Ordinal);
        return [.. proto.Graph.Node
            .Where(n => n.Name.Length > 0 && n.Input.Count > 1 && weights.Contains(n.Input[1]) && (n.OpType == "MatMul" || (int8 && n.OpType is "Gemm" or "Attention")))
            .Select(n => n.Name)];
    }

    public AccuracyResult MeasureAccuracy(RecipeCandidate candidate, int? sampleLimit, CancellationToken cancellationToken)
    {
        var model = BuildModel(candidate);
        _expected ??= RunAll(_original, _samples.Count, cancellationToken);
        var count = Math.Min(_samples.Count, sampleLimit ?? _samples.Count);
        var actual = ReferenceEquals(model, _original) ? _expected : RunAll(model, count, cancellationToken);
        // Token states are compared as one pooled embedding per sample row: what the served model's users see.
        var accuracy = new AccuracyAccumulator(AccuracyRowLayout.PooledTokens);
        for (var s = 0; s < count; s++)
        {
            foreach (var (name, expected) in _expected[s])
            {
                if (!actual[s].TryGetValue(name, out var got) || got.Values.Length != expected.Values.Length)
                {
                    throw new InvalidOperationException($"The rewritten model's output '{name}' is missing or has another shape than the original's.");
                }

                accuracy.Add(expected.Values, got.Values, expected.Shape);
            }
        }

        return new AccuracyResult(accuracy.MeanCosine, accuracy.MinCosine, accuracy.Top1Agreement, count);
    }

    public PerformanceResult MeasurePerformance(TrialConfiguration configuration, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var sessions = Sessions(configuration);
        var runners = sessions.Select(s => new BatchRunner(s, new BatchRunnerOptions { MaxBatchSize = configuration.Batching.MaxBatchSize })).ToArray();
        var rows = Rows(runners[0]);

        // Warm-up: one full batch per worker, so that first-call costs of a new batch shape stay out of the timing.
        var warm = rows.Take(Math.Min(rows.Count, configuration.Batching.MaxBatchSize)).SelectMany(r => r).ToArray();
        foreach (var runner in runners)
        {
            using var result = runner.Run(warm, cancellationToken);
        }

        return LoadGenerator.Run(runners, rows, concurrency, configuration.Batching.MaxBatchSize, TimeSpan.FromMilliseconds(configuration.Batching.MaxQueueDelayMs), duration, cancellationToken);
    }

    public void Dispose()
    {
        foreach (var session in _group)
        {
            session.Dispose();
        }

        _group = [];
    }

    internal static string SampleHash(IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> samples)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var sample in samples)
        {
            foreach (var (name, tensor) in sample.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name + ":" + string.Join(',', tensor.Shape) + ":" + tensor.Data.GetType().Name));
                if (tensor.Data is Float16[] half)
                {
                    // Float16 is a struct, not a primitive: Buffer cannot copy it.
                    hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(half.AsSpan()));
                    continue;
                }

                var bytes = new byte[Buffer.ByteLength(tensor.Data)];
                Buffer.BlockCopy(tensor.Data, 0, bytes, 0, bytes.Length);
                hash.AppendData(bytes);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Tells whether a recipe has an INT8 or INT4 step.</summary>
    internal static bool IsQuantizing(string recipe) =>
        recipe.Contains("int8", StringComparison.Ordinal) || recipe.Contains(OptimizationRecipe.Int4Weights, StringComparison.Ordinal);

    private static string SkippedRules(PassManagerReport? report) =>
        report is { SkippedRules.Count: > 0 } r ? "; rules its opsets rule out: " + string.Join("; ", r.SkippedRules.Select(s => $"{s.RuleName} ({s.Reason})")) : string.Empty;

    private static bool QuantizationChanged(PassManager passes)
    {
        var report = passes.LastReport;
        for (var i = 0; report is not null && i < passes.Passes.Count && i < report.Passes.Count; i++)
        {
            if (passes.Passes[i].GetType().Namespace?.StartsWith("MLNetInference.Optimizers.Quantization", StringComparison.Ordinal) == true && report.Passes[i].Changes > 0)
            {
                return true;
            }
        }

        return false;
    }

    private static PassManager Passes(RecipeCandidate candidate, bool includeQuantization, IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> samples) =>
        OptimizationRecipe.Parse(candidate.Recipe).CreatePasses(new RecipeContext
        {
            // Static quantization calibrates its activation ranges on the tuning samples; the fused attention's Q/K/V
            // weights take the same INT8 settings and exclusions as the other MatMuls.
            Calibration = new CalibrationData(samples),
            Int8 = candidate.Int8,
            Int4 = candidate.Int4,
            IncludeQuantization = includeQuantization,
        });

    private List<OnnxModelSession> Sessions(TrialConfiguration configuration)
    {
        var key = $"{configuration.Candidate.Key}|{configuration.Session}|{configuration.Batching.Workers}";
        if (key == _groupKey)
        {
            return _group;
        }

        Dispose();
        _groupKey = null;
        var model = BuildModel(configuration.Candidate);
        var options = new OnnxSessionOptions
        {
            ExecutionProvider = configuration.Session.Provider,
            IntraOpThreads = configuration.Session.IntraOpThreads,
            GraphOptimizationLevel = configuration.Session.OptimizationLevel,
            AllowCpuFallback = false,
        };
        for (var w = 0; w < configuration.Batching.Workers; w++)
        {
            _group.Add(_factory.Create(model, options, configuration.Candidate.Name));
        }

        _groupKey = key;
        return _group;
    }

    private List<RowTensor[]> Rows(BatchRunner runner)
    {
        var rows = new List<RowTensor[]>(_samples.Count);
        foreach (var sample in _samples)
        {
            var row = new RowTensor[runner.InputCount];
            for (var i = 0; i < row.Length; i++)
            {
                var name = runner.InputNames[i];
                if (!sample.TryGetValue(name, out var tensor))
                {
                    throw new ArgumentException($"The sample data has no input '{name}'; the model needs {string.Join(", ", runner.InputNames)}.");
                }

                if (tensor.Shape.Length == 0 || tensor.Shape[0] != 1)
                {
                    throw new ArgumentException($"Sample input '{name}' must have a leading batch dimension of 1 (one request per sample); its shape is [{string.Join(", ", tensor.Shape)}].");
                }

                row[i] = RowTensor.FromArray(tensor.Data, tensor.Data.Length);
            }

            rows.Add(row);
        }

        return rows;
    }

    private List<Dictionary<string, (float[] Values, long[] Shape)>> RunAll(byte[] model, int count, CancellationToken cancellationToken)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount) };
        using var session = new InferenceSession(model, options);
        // Float outputs are compared, whatever their precision (a float16 model's outputs are widened).
        var outputs = session.OutputMetadata.Where(o => o.Value.ElementDataType is TensorElementType.Float or TensorElementType.Float16 or TensorElementType.Double).Select(o => o.Key).ToList();
        if (outputs.Count == 0)
        {
            throw new InvalidOperationException($"The model has no float, float16 or double output to compare with the original's (outputs: {string.Join(", ", session.OutputMetadata.Select(o => $"{o.Key} {o.Value.ElementDataType}"))}).");
        }

        var runner = new SampleRunner(session, outputs, ReferenceEquals(model, _original) ? "original" : "candidate");
        var results = new List<Dictionary<string, (float[], long[])>>(count);
        foreach (var sample in _samples.Take(count))
        {
            using var run = runner.Run(sample, cancellationToken);
            var map = new Dictionary<string, (float[], long[])>(StringComparer.Ordinal);
            for (var o = 0; o < run.Count; o++)
            {
                map[run.OutputNames[o]] = (run.GetElementType(o) == TensorElementType.Float ? run.ToFloatArray(o) : ToFloats(run, o), run.GetShape(o));
            }

            results.Add(map);
        }

        return results;
    }

    private static float[] ToFloats(SampleResult run, int output)
    {
        if (!run.TryToDoubleArray(output, out var values))
        {
            throw new InvalidOperationException($"Output '{run.OutputNames[output]}' cannot be read as numbers.");
        }

        var floats = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            floats[i] = (float)values[i];
        }

        return floats;
    }
}
