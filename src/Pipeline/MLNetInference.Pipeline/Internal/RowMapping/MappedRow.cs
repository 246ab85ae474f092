using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>A row that adds a mapper's outputs to an input row; it owns and disposes the input row.</summary>
internal sealed class MappedRow : DataViewRow
{
    private readonly DataViewRow _input;
    private readonly MappedRowBinding _binding;
    private bool _disposed;

    /// <summary>Wraps <paramref name="input"/>.</summary>
    /// <param name="mapper">The mapper.</param>
    /// <param name="schema">The mapped schema.</param>
    /// <param name="input">The input row.</param>
    /// <param name="activeOutputs">One flag per output column.</param>
    public MappedRow(IRowMapper mapper, DataViewSchema schema, DataViewRow input, bool[] activeOutputs)
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
