using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Internal;

/// <summary>
/// A cursor over scored rows. A lead cursor reads the model inputs a window ahead and scores them in
/// batches; the main cursor moves one row at a time and serves the pass-through columns. Both walk the same
/// source in the same order.
/// </summary>
internal sealed class BatchScoringCursor : DataViewRowCursor
{
    private readonly ScoringBinding _binding;
    private readonly DataViewRowCursor _main;
    private readonly DataViewRowCursor? _lead;
    private readonly ChunkScorer? _scorer;
    private readonly bool[] _activeOutputs;
    private int _chunkCount;
    private int _chunkRow = -1;
    private bool _disposed;

    public BatchScoringCursor(ScoringBinding binding, DataViewRowCursor main, DataViewRowCursor? lead, ChunkScorer? scorer, bool[] activeOutputs)
    {
        _binding = binding;
        _main = main;
        _lead = lead;
        _scorer = scorer;
        _activeOutputs = activeOutputs;
        if (lead is not null)
        {
            scorer!.Bind(lead);
        }
    }

    public override DataViewSchema Schema => _binding.OutputSchema;

    public override long Position => _main.Position;

    public override long Batch => _main.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        var slot = column.Index - _binding.FirstOutputColumn;
        return slot >= 0 ? _activeOutputs[slot] : _main.IsColumnActive(_main.Schema[column.Index]);
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        var slot = column.Index - _binding.FirstOutputColumn;
        if (slot < 0)
        {
            return _main.GetGetter<TValue>(_main.Schema[column.Index]);
        }

        if (!_activeOutputs[slot] || _scorer is null)
        {
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was opened.");
        }

        return OutputGetters.Create<TValue>(_scorer, slot, _binding.OutputTypes[slot], () => _chunkRow, column.Name);
    }

    public override bool MoveNext()
    {
        if (!_main.MoveNext())
        {
            return false;
        }

        if (_scorer is not null && ++_chunkRow >= _chunkCount)
        {
            _chunkCount = _scorer.Fill(_lead!);
            _chunkRow = 0;
            if (_chunkCount == 0)
            {
                throw new InvalidOperationException("The source data gave fewer rows to the scoring cursor than to the pass-through cursor; the source must be deterministic.");
            }
        }

        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (disposing)
        {
            _scorer?.Dispose();
            _lead?.Dispose();
            _main.Dispose();
        }

        base.Dispose(disposing);
    }
}
