using MLNetInference.Core.Runtime;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>One batch through <see cref="BatchRunner"/>, copying every row's output out.</summary>
internal sealed class RunnerCalls
{
    private readonly BatchRunner _runner;
    private readonly RowTensor[] _rows;
    private readonly int _rowSize;

    public RunnerCalls(BatchRunner runner, long[][][] tokensByInput, int batch, int hidden)
    {
        _runner = runner;
        var inputs = tokensByInput.Length;
        _rows = new RowTensor[batch * inputs];
        for (var r = 0; r < batch; r++)
        {
            for (var i = 0; i < inputs; i++)
            {
                _rows[(r * inputs) + i] = new RowTensor(tokensByInput[i][r]);
            }
        }

        _rowSize = tokensByInput[0][0].Length * hidden;
        Output = new float[batch * _rowSize];
    }

    public float[] Output { get; }

    public void Run()
    {
        using var result = _runner.Run(_rows);
        for (var r = 0; r < result.RowCount; r++)
        {
            result.CopyRow<float>(0, r, Output.AsSpan(r * _rowSize, _rowSize));
        }
    }
}
