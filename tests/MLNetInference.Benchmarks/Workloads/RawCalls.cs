using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>One batch through a hand-written ONNX Runtime loop: pack the rows into tensors, run, copy the output out.</summary>
internal sealed class RawCalls : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames = ["last_hidden_state"];
    private readonly long[][][] _tokens;
    private readonly long[][] _packed;
    private readonly long[] _shape;
    private readonly RunOptions _runOptions = new();

    public RawCalls(InferenceSession session, IReadOnlyList<string> inputNames, long[][][] tokensByInput, int batch, int hidden)
    {
        _session = session;
        _inputNames = [.. inputNames];
        _tokens = tokensByInput;
        var length = tokensByInput[0][0].Length;
        _packed = [.. inputNames.Select(_ => new long[batch * length])];
        _shape = [batch, length];
        Output = new float[batch * length * hidden];
    }

    public float[] Output { get; }

    /// <summary>
    /// A baseline session against other sessions on the same rows, at batch 1 (4 calls per slice) and
    /// <paramref name="largeBatch"/> (1 call per slice): variants <c>{baselineName}-b{batch}</c> and
    /// <c>{name}-b{batch}</c>, each against the baseline of its batch. The calls made are added to
    /// <paramref name="calls"/>, which the caller disposes.
    /// </summary>
    public static List<BenchmarkVariant> AgainstBaseline(
        InferenceSession baseline,
        string baselineName,
        IReadOnlyList<(string Name, InferenceSession Session)> others,
        int largeBatch,
        int sequenceLength,
        List<RawCalls> calls)
    {
        var inputNames = baseline.InputMetadata.Keys.ToList();
        var tokens = FullLengthTokens.Rows(inputNames, largeBatch, sequenceLength);
        var hidden = (int)baseline.OutputMetadata["last_hidden_state"].Dimensions[^1];
        var variants = new List<BenchmarkVariant>();
        foreach (var (batch, callsPerSlice) in new[] { (1, 4), (largeBatch, 1) })
        {
            var baselineVariant = $"{baselineName}-b{batch}";
            var baselineCalls = new RawCalls(baseline, inputNames, tokens, batch, hidden);
            calls.Add(baselineCalls);
            variants.Add(CallVariant.Create(baselineVariant, null, baselineCalls.Run, callsPerSlice, batch));
            foreach (var (name, session) in others)
            {
                var otherCalls = new RawCalls(session, inputNames, tokens, batch, hidden);
                calls.Add(otherCalls);
                variants.Add(CallVariant.Create($"{name}-b{batch}", baselineVariant, otherCalls.Run, callsPerSlice, batch));
            }
        }

        return variants;
    }

    public void Run()
    {
        var batch = (int)_shape[0];
        var length = (int)_shape[1];
        var values = new OrtValue[_inputNames.Length];
        try
        {
            for (var i = 0; i < values.Length; i++)
            {
                for (var r = 0; r < batch; r++)
                {
                    Array.Copy(_tokens[i][r], 0, _packed[i], r * length, length);
                }

                values[i] = OrtValue.CreateTensorValueFromMemory(_packed[i], _shape);
            }

            using var outputs = _session.Run(_runOptions, _inputNames, values, _outputNames);
            outputs[0].GetTensorDataAsSpan<float>().CopyTo(Output);
        }
        finally
        {
            foreach (var v in values)
            {
                v?.Dispose();
            }
        }
    }

    public void Dispose() => _runOptions.Dispose();
}
