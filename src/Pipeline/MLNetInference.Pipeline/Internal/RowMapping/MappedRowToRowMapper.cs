using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>
/// The <see cref="IRowToRowMapper"/> of an <see cref="IRowMapper"/>, used by prediction engines and transformer
/// chains.
/// </summary>
internal sealed class MappedRowToRowMapper : IRowToRowMapper
{
    private readonly IRowMapper _mapper;

    /// <summary>Wraps <paramref name="mapper"/>.</summary>
    /// <param name="mapper">The mapper.</param>
    public MappedRowToRowMapper(IRowMapper mapper)
    {
        ArgumentNullException.ThrowIfNull(mapper);
        _mapper = mapper;
        OutputSchema = MappedSchema.Create(mapper.InputSchema, mapper.OutputColumns);
    }

    /// <inheritdoc/>
    public DataViewSchema InputSchema => _mapper.InputSchema;

    /// <inheritdoc/>
    public DataViewSchema OutputSchema { get; }

    /// <inheritdoc/>
    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        => MappedSchema.GetInputColumnsNeeded(_mapper, dependingColumns, out _);

    /// <inheritdoc/>
    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        MappedSchema.GetInputColumnsNeeded(_mapper, activeColumns, out bool[] activeOutputs);
        return new MappedRow(_mapper, OutputSchema, input, activeOutputs);
    }
}
