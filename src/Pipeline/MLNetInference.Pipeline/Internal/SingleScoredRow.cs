using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Runtime;

namespace MLNetInference.Internal;

/// <summary>
/// One scored row over one input row, for <see cref="IRowToRowMapper.GetRow"/> and so for ML.NET's
/// <c>PredictionEngine</c>: the model runs once per input position, when an output is first read.
/// </summary>
internal sealed class SingleScoredRow : DataViewRow
{
    private readonly ScoringBinding _binding;
    private readonly DataViewRow _input;
    private readonly ChunkScorer _scorer;
    private readonly bool[] _active;
    private long _scoredPosition = -1;

    public SingleScoredRow(ScoringBinding binding, BatchRunner runner, DataViewRow input, bool[] active)
    {
        _binding = binding;
        _input = input;
        _active = active;
        _scorer = new ChunkScorer(runner, binding, 1);
        _scorer.Bind(input);
    }

    public override DataViewSchema Schema => _binding.OutputSchema;

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        var slot = column.Index - _binding.FirstOutputColumn;
        return slot >= 0 ? _active[slot] : _input.IsColumnActive(_input.Schema[column.Index]);
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        var slot = column.Index - _binding.FirstOutputColumn;
        if (slot < 0)
        {
            return _input.GetGetter<TValue>(_input.Schema[column.Index]);
        }

        return OutputGetters.Create<TValue>(_scorer, slot, _binding.OutputTypes[slot], EnsureScored, column.Name);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _scorer.Dispose();
        }

        base.Dispose(disposing);
    }

    private int EnsureScored()
    {
        if (_scoredPosition != _input.Position || _input.Position < 0)
        {
            _scorer.ScoreSingle(_input.Position);
            _scoredPosition = _input.Position;
        }

        return 0;
    }
}
