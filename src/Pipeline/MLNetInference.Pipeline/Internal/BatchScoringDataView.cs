using Microsoft.ML;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Internal;

/// <summary>The <see cref="IDataView"/> a batched ONNX scorer returns: the source plus the model's output columns.</summary>
internal sealed class BatchScoringDataView : IDataView
{
    private readonly IDataView _source;
    private readonly ScoringBinding _binding;
    private readonly BatchRunner _runner;
    private readonly int _window;

    public BatchScoringDataView(IDataView source, ScoringBinding binding, BatchRunner runner, int window)
    {
        _source = source;
        _binding = binding;
        _runner = runner;
        _window = window;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema => _binding.OutputSchema;

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[_binding.OutputIndices.Length];
        var passThrough = new List<DataViewSchema.Column>();
        var anyOutput = false;
        foreach (var column in columnsNeeded)
        {
            var slot = column.Index - _binding.FirstOutputColumn;
            if (slot >= 0)
            {
                active[slot] = true;
                anyOutput = true;
            }
            else
            {
                passThrough.Add(_source.Schema[column.Index]);
            }
        }

        var main = _source.GetRowCursor(passThrough);
        if (!anyOutput)
        {
            return new BatchScoringCursor(_binding, main, null, null, active);
        }

        var modelColumns = new DataViewSchema.Column[_binding.InputColumnIndices.Length];
        for (var i = 0; i < modelColumns.Length; i++)
        {
            modelColumns[i] = _source.Schema[_binding.InputColumnIndices[i]];
        }

        var lead = _source.GetRowCursor(modelColumns);
        return new BatchScoringCursor(_binding, main, lead, new ChunkScorer(_runner, _binding, _window), active);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];
}
