using MLNetInference.Core;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Internal;

/// <summary>
/// Reads a window of rows from a cursor, sorts them by length, scores them in batches through the shared
/// <see cref="BatchRunner"/>, and serves each row's outputs back in the original order.
/// </summary>
internal sealed class ChunkScorer : IDisposable
{
    private readonly BatchRunner _runner;
    private readonly ScoringBinding _binding;
    private readonly ColumnReader[] _readers;
    private readonly int _window;
    private readonly int _inputCount;
    private readonly RowTensor[] _rows;
    private readonly RowTensor[] _sorted;
    private readonly int[] _keys;
    private readonly int[] _order;
    private readonly int[] _resultRow;
    private readonly long[] _positions;
    private readonly int _lengthInput;
    private BatchResult? _result;

    public ChunkScorer(BatchRunner runner, ScoringBinding binding, int window)
    {
        _runner = runner;
        _binding = binding;
        _readers = binding.CreateReaders();
        _window = Math.Max(1, window);
        _inputCount = runner.InputCount;
        _rows = new RowTensor[_window * _inputCount];
        _sorted = new RowTensor[_window * _inputCount];
        _keys = new int[_window];
        _order = new int[_window];
        _resultRow = new int[_window];
        _positions = new long[_window];
        _lengthInput = FirstVariableInput(runner);
    }

    public void Bind(DataViewRow row)
    {
        foreach (var reader in _readers)
        {
            reader.Bind(row);
        }
    }

    /// <summary>Reads up to a window of rows from <paramref name="cursor"/> and scores them.</summary>
    /// <returns>The number of rows read.</returns>
    public int Fill(DataViewRowCursor cursor)
    {
        Reset();
        var count = 0;
        while (count < _window && cursor.MoveNext())
        {
            ReadRow(count, cursor.Position);
            count++;
        }

        if (count > 0)
        {
            Score(count);
        }

        return count;
    }

    /// <summary>Reads and scores the single row the readers are bound to.</summary>
    public void ScoreSingle(long position)
    {
        Reset();
        ReadRow(0, position);
        Score(1);
    }

    public void CopyOutput<T>(int slot, int row, ref VBuffer<T> destination)
        where T : unmanaged
    {
        var output = _binding.OutputIndices[slot];
        var resultRow = _resultRow[row];
        var length = _result!.GetRowLength(output, resultRow);
        var editor = VBufferEditor.Create(ref destination, length);
        _result.CopyRow(output, resultRow, editor.Values);
        destination = editor.Commit();
    }

    public T GetScalar<T>(int slot, int row)
        where T : unmanaged
    {
        Span<T> one = stackalloc T[1];
        _result!.CopyRow(_binding.OutputIndices[slot], _resultRow[row], one);
        return one[0];
    }

    public void Dispose()
    {
        _result?.Dispose();
        _result = null;
    }

    private void Reset()
    {
        _result?.Dispose();
        _result = null;
        foreach (var reader in _readers)
        {
            reader.Reset();
        }
    }

    private void ReadRow(int index, long position)
    {
        var row = _rows.AsSpan(index * _inputCount, _inputCount);
        for (var i = 0; i < _inputCount; i++)
        {
            row[i] = _readers[i].Append();
        }

        _positions[index] = position;
    }

    /// <summary>Runs rows through the runner, which validates them; a bad row's error names its column and data position.</summary>
    private BatchResult Run(RowTensor[] rows, int count, bool sorted)
    {
        try
        {
            return _runner.Run(rows.AsSpan(0, count * _inputCount));
        }
        catch (InvalidInputException ex) when (ex.RowIndex >= 0)
        {
            var chunkRow = sorted ? _order[ex.RowIndex] : ex.RowIndex;
            var column = _binding.InputSchema[_binding.InputColumnIndices[_runner.IndexOfInput(ex.InputName)]].Name;
            throw new InvalidInputException(column, $"Row {_positions[chunkRow]}, column '{column}': {ex.Message}");
        }
    }

    private void Score(int count)
    {
        if (_lengthInput < 0 || count <= _runner.MaxBatchSize)
        {
            // Fixed-size inputs or a single batch: nothing to gain from sorting.
            for (var r = 0; r < count; r++)
            {
                _resultRow[r] = r;
            }

            _result = Run(_rows, count, sorted: false);
            return;
        }

        // PERF: sort the window by length so that each batch pads only to similar lengths.
        for (var r = 0; r < count; r++)
        {
            _keys[r] = _rows[(r * _inputCount) + _lengthInput].Length;
            _order[r] = r;
        }

        Array.Sort(_keys, _order, 0, count);
        for (var s = 0; s < count; s++)
        {
            var original = _order[s];
            _rows.AsSpan(original * _inputCount, _inputCount).CopyTo(_sorted.AsSpan(s * _inputCount, _inputCount));
            _resultRow[original] = s;
        }

        _result = Run(_sorted, count, sorted: true);
    }

    private static int FirstVariableInput(BatchRunner runner)
    {
        var metadata = runner.Model.Metadata;
        for (var i = 0; i < runner.InputCount; i++)
        {
            var meta = metadata.FindInput(runner.InputNames[i])!;
            for (var d = 1; d < meta.Rank; d++)
            {
                if (meta.IsDynamic(d))
                {
                    return i;
                }
            }
        }

        return -1;
    }
}
