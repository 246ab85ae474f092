using Microsoft.ML;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>Builds the output schema of a mapper: every input column, then the added columns.</summary>
internal static class MappedSchema
{
    /// <summary>Returns the input columns followed by <paramref name="outputColumns"/>; input column indices are kept.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <param name="outputColumns">The added columns; a name shared with an input column hides that column.</param>
    public static DataViewSchema Create(DataViewSchema inputSchema, IReadOnlyList<DataViewSchema.DetachedColumn> outputColumns)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        for (int i = 0; i < outputColumns.Count; i++)
        {
            var column = outputColumns[i];
            builder.AddColumn(column.Name, column.Type, column.Annotations);
        }

        return builder.ToSchema();
    }

    /// <summary>
    /// Splits the requested columns of a mapped schema into the input columns to activate and the active outputs.
    /// </summary>
    /// <param name="mapper">The mapper.</param>
    /// <param name="requested">Columns of the mapped schema.</param>
    /// <param name="activeOutputs">Set to one flag per output column.</param>
    /// <returns>The input columns that must be active, without duplicates.</returns>
    public static List<DataViewSchema.Column> GetInputColumnsNeeded(IRowMapper mapper, IEnumerable<DataViewSchema.Column> requested, out bool[] activeOutputs)
    {
        ArgumentNullException.ThrowIfNull(requested);
        var inputSchema = mapper.InputSchema;
        int inputCount = inputSchema.Count;
        activeOutputs = new bool[mapper.OutputColumns.Count];
        var inputActive = new bool[inputCount];
        bool anyOutput = false;
        foreach (var column in requested)
        {
            if (column.Index < inputCount)
            {
                inputActive[column.Index] = true;
            }
            else if (column.Index - inputCount < activeOutputs.Length)
            {
                activeOutputs[column.Index - inputCount] = true;
                anyOutput = true;
            }
        }

        if (anyOutput)
        {
            foreach (var dependency in mapper.Dependencies)
            {
                inputActive[dependency.Index] = true;
            }
        }

        var result = new List<DataViewSchema.Column>();
        for (int i = 0; i < inputCount; i++)
        {
            if (inputActive[i])
            {
                result.Add(inputSchema[i]);
            }
        }

        return result;
    }
}
