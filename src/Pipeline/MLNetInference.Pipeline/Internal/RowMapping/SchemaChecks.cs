using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>Input-schema checks with messages that name the column, what was expected and what was found.</summary>
internal static class SchemaChecks
{
    /// <summary>Returns the column named <paramref name="columnName"/> or throws.</summary>
    /// <param name="schema">The input schema.</param>
    /// <param name="columnName">The column name.</param>
    /// <param name="role">What the column is for, used in the message.</param>
    /// <exception cref="ArgumentOutOfRangeException">The column does not exist.</exception>
    public static DataViewSchema.Column GetColumn(DataViewSchema schema, string columnName, string role)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var column = schema.GetColumnOrNull(columnName);
        if (column is null)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{columnName}' ({role}) was not found in the input schema. Add it or set the column name in the options.");
        }

        return column.Value;
    }

    /// <summary>Throws a schema-mismatch error for <paramref name="columnName"/>.</summary>
    /// <param name="columnName">The column name.</param>
    /// <param name="expected">The expected type, in words.</param>
    /// <param name="found">The type found.</param>
    /// <exception cref="ArgumentOutOfRangeException">Always.</exception>
    public static ArgumentOutOfRangeException TypeMismatch(string columnName, string expected, DataViewType found)
        => new("inputSchema", $"Schema mismatch for input column '{columnName}': expected {expected}, found {found}.");

    /// <summary>Returns the shape column named <paramref name="columnName"/> or throws.</summary>
    /// <param name="shape">The input shape.</param>
    /// <param name="columnName">The column name.</param>
    /// <param name="role">What the column is for, used in the message.</param>
    /// <exception cref="ArgumentOutOfRangeException">The column does not exist.</exception>
    public static SchemaShape.Column GetShapeColumn(SchemaShape shape, string columnName, string role)
    {
        ArgumentNullException.ThrowIfNull(shape);
        SchemaShape.Column? found = null;
        foreach (var column in shape)
        {
            if (string.Equals(column.Name, columnName, StringComparison.Ordinal))
            {
                found = column;
            }
        }

        return found ?? throw new ArgumentOutOfRangeException(nameof(shape), $"Input column '{columnName}' ({role}) was not found in the input schema. Add it or set the column name in the options.");
    }

    /// <summary>
    /// Returns <paramref name="inputShape"/> with the columns of <paramref name="outputDefinition"/> appended; an
    /// added column replaces an input column of the same name.
    /// </summary>
    /// <typeparam name="TDst">The row type that <paramref name="outputDefinition"/> describes.</typeparam>
    /// <param name="inputShape">The input shape.</param>
    /// <param name="outputDefinition">The added columns, with their final names and types.</param>
    /// <remarks>
    /// ML.NET keeps the constructors of <see cref="SchemaShape.Column"/> internal, so the shape is obtained from a
    /// stock <c>CustomMapping</c> estimator that reads no column and adds exactly these.
    /// </remarks>
    public static SchemaShape AppendColumns<TDst>(SchemaShape inputShape, SchemaDefinition outputDefinition)
        where TDst : class, new()
    {
        var estimator = new MLContext().Transforms.CustomMapping<NoColumns, TDst>(
            static (_, _) => { }, contractName: null, SchemaDefinition.Create(typeof(NoColumns)), outputDefinition);
        return estimator.GetOutputSchema(inputShape);
    }
}
