using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Internal.RowMapping;

namespace MLNetInference.Pipeline.Internal;

/// <summary>
/// A cursor over scored rows. A lead cursor reads the model inputs a window ahead and scores them in
/// batches; the main cursor moves one row at a time and serves the pass-through columns. Both walk the same
/// source in the same order. Column access is the shared <see cref="MappedRowBinding"/>.
/// </summary>
internal sealed class BatchScoringCursor : DataViewRowCursor
{
    private readonly ScoringBinding _binding;
    private readonly DataViewRowCursor _main;
    private readonly DataViewRowCursor? _lead;
    private readonly ChunkScorer? _scorer;
    private readonly MappedRowBinding _columns;
    private int _chunkCount;
    private int _chunkRow = -1;
    private bool _disposed;

    public BatchScoringCursor(ScoringBinding binding, DataViewRowCursor main, DataViewRowCursor? lead, ChunkScorer? scorer, bool[] activeOutputs)
    {
        _binding = binding;
        _main = main;
        _lead = lead;
        _scorer = scorer;
        _scorer?.Bind(lead!);
        _columns = new MappedRowBinding(binding.FirstOutputColumn, main, activeOutputs, scorer is null ? null : new ChunkRowComputation(this));
    }

    public override DataViewSchema Schema => _binding.OutputSchema;

    public override long Position => _main.Position;

    public override long Batch => _main.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsColumnActive(column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);

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

    /// <summary>Serves the current row of the scored chunk; scoring happens in <see cref="MoveNext"/>, a window at a time.</summary>
    private sealed class ChunkRowComputation : IRowComputation
    {
        private readonly BatchScoringCursor _cursor;

        public ChunkRowComputation(BatchScoringCursor cursor)
        {
            _cursor = cursor;
        }

        public void Compute()
        {
        }

        public Delegate GetGetter(int outputIndex)
            => OutputGetters.Create(_cursor._scorer!, outputIndex, _cursor._binding.OutputTypes[outputIndex], () => _cursor._chunkRow, _cursor._binding.OutputSchema[_cursor._binding.FirstOutputColumn + outputIndex].Name);
    }
}
