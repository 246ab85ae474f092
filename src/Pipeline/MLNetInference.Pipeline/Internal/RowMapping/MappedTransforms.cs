using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>
/// The three <see cref="ITransformer"/> operations of a row-wise transformer, for any <see cref="IRowMapper"/>:
/// our row-wise transformers delegate to these instead of each writing them again.
/// </summary>
internal static class MappedTransforms
{
    /// <summary>The schema after mapping: the input columns plus the mapper's outputs.</summary>
    public static DataViewSchema OutputSchema(DataViewSchema inputSchema, Func<DataViewSchema, IRowMapper> bind)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return MappedSchema.Create(inputSchema, bind(inputSchema).OutputColumns);
    }

    /// <summary>A lazy view that maps <paramref name="input"/> as it is read.</summary>
    public static IDataView Transform(IDataView input, Func<DataViewSchema, IRowMapper> bind)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new MappedDataView(input, bind(input.Schema));
    }

    /// <summary>The row-to-row mapper for prediction engines and transformer chains.</summary>
    public static IRowToRowMapper RowToRowMapper(DataViewSchema inputSchema, Func<DataViewSchema, IRowMapper> bind)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new MappedRowToRowMapper(bind(inputSchema));
    }
}
