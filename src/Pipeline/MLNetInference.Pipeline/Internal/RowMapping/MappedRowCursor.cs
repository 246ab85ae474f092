using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>A cursor that adds a mapper's outputs to an input cursor; it owns and disposes the input cursor.</summary>
internal sealed class MappedRowCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly MappedRowBinding _binding;
    private bool _disposed;

    /// <summary>Wraps <paramref name="input"/>.</summary>
    /// <param name="mapper">The mapper.</param>
    /// <param name="schema">The mapped schema.</param>
    /// <param name="input">The input cursor.</param>
    /// <param name="activeOutputs">One flag per output column.</param>
    public MappedRowCursor(IRowMapper mapper, DataViewSchema schema, DataViewRowCursor input, bool[] activeOutputs)
    {
        _input = input;
        Schema = schema;
        _binding = new MappedRowBinding(mapper, input, activeOutputs);
    }

    /// <inheritdoc/>
    public override DataViewSchema Schema { get; }

    /// <inheritdoc/>
    public override long Position => _input.Position;

    /// <inheritdoc/>
    public override long Batch => _input.Batch;

    /// <inheritdoc/>
    public override bool MoveNext() => _input.MoveNext();

    /// <inheritdoc/>
    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    /// <inheritdoc/>
    public override bool IsColumnActive(DataViewSchema.Column column) => _binding.IsColumnActive(column);

    /// <inheritdoc/>
    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _binding.GetGetter<TValue>(column);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (disposing)
        {
            _input.Dispose();
        }

        _disposed = true;
        base.Dispose(disposing);
    }
}
