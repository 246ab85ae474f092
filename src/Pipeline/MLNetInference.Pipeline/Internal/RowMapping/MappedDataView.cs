using Microsoft.ML;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>A lazy <see cref="IDataView"/> that adds the outputs of an <see cref="IRowMapper"/> to a source view.</summary>
internal sealed class MappedDataView : IDataView
{
    private readonly IDataView _source;
    private readonly IRowMapper _mapper;

    /// <summary>Wraps <paramref name="source"/>.</summary>
    /// <param name="source">The source view; its schema must be the mapper's input schema.</param>
    /// <param name="mapper">The mapper.</param>
    public MappedDataView(IDataView source, IRowMapper mapper)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(mapper);
        _source = source;
        _mapper = mapper;
        Schema = MappedSchema.Create(mapper.InputSchema, mapper.OutputColumns);
    }

    /// <inheritdoc/>
    public bool CanShuffle => _source.CanShuffle;

    /// <inheritdoc/>
    public DataViewSchema Schema { get; }

    /// <inheritdoc/>
    public long? GetRowCount() => _source.GetRowCount();

    /// <inheritdoc/>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var inputColumns = MappedSchema.GetInputColumnsNeeded(_mapper, columnsNeeded, out bool[] activeOutputs);
        var input = _source.GetRowCursor(inputColumns, rand);
        return new MappedRowCursor(_mapper, Schema, input, activeOutputs);
    }

    /// <inheritdoc/>
    /// <remarks>Returns a single cursor: the computation is row-local and cheap to run on one thread.</remarks>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];
}
