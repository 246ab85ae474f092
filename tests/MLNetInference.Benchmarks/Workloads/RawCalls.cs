using Microsoft.ML.OnnxRuntime;

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
