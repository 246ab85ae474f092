using MLNetInference.Core;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Internal;

/// <summary>
/// Ties a batched ONNX scorer to one input schema: which column feeds each model input (validated) and which
/// output columns it adds. Every error names the column and the model input.
/// </summary>
internal sealed class ScoringBinding
{
    public ScoringBinding(BatchRunner runner, DataViewSchema inputSchema, IDictionary<string, string> inputColumns, IReadOnlyList<(string Output, string Column)> outputs)
    {
        InputSchema = inputSchema;
        var metadata = runner.Model.Metadata;
        InputColumnIndices = new int[runner.InputCount];
        for (var i = 0; i < runner.InputCount; i++)
        {
            var input = metadata.FindInput(runner.InputNames[i])!;
            var columnName = inputColumns.TryGetValue(input.Name, out var mapped) ? mapped : input.Name;
            var column = inputSchema.GetColumnOrNull(columnName)
                ?? throw new InvalidInputException(columnName, $"Column '{columnName}', which feeds model input '{input.Name}' ({input}), is not in the input data. Available columns: {ColumnList(inputSchema)}.");
            CheckColumn(column, input);
            InputColumnIndices[i] = column.Index;
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        OutputIndices = new int[outputs.Count];
        OutputTypes = new DataViewType[outputs.Count];
        for (var o = 0; o < outputs.Count; o++)
        {
            OutputIndices[o] = runner.IndexOfOutput(outputs[o].Output);
            var meta = metadata.FindOutput(outputs[o].Output)!;
            OutputTypes[o] = ToColumnType(meta);
            builder.AddColumn(outputs[o].Column, OutputTypes[o]);
        }

        OutputSchema = builder.ToSchema();
        FirstOutputColumn = inputSchema.Count;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    /// <summary>The input-schema column index for each model input, in runner order.</summary>
    public int[] InputColumnIndices { get; }

    /// <summary>The runner output index for each added column.</summary>
    public int[] OutputIndices { get; }

    public DataViewType[] OutputTypes { get; }

    public int FirstOutputColumn { get; }

    public ColumnReader[] CreateReaders()
    {
        var readers = new ColumnReader[InputColumnIndices.Length];
        for (var i = 0; i < readers.Length; i++)
        {
            readers[i] = ColumnReader.Create(InputSchema[InputColumnIndices[i]]);
        }

        return readers;
    }

    public static DataViewType ToColumnType(TensorMetadata meta)
    {
        var item = ItemType(meta.ElementType)
            ?? throw new NotSupportedException($"Model output '{meta.Name}' has element type {meta.ElementType}, which has no ML.NET column type.");
        if (meta.Rank <= 1)
        {
            return item;
        }

        var dims = new int[meta.Rank - 1];
        for (var d = 1; d < meta.Rank; d++)
        {
            // 0 marks an axis whose size varies per row (ML.NET's unknown dimension).
            dims[d - 1] = Math.Max(0, meta.Dimensions[d]);
        }

        return new VectorDataViewType(item, dims);
    }

    private static PrimitiveDataViewType? ItemType(TensorElementType type) => type switch
    {
        TensorElementType.Float => NumberDataViewType.Single,
        TensorElementType.Int64 => NumberDataViewType.Int64,
        TensorElementType.Int32 => NumberDataViewType.Int32,
        TensorElementType.Double => NumberDataViewType.Double,
        TensorElementType.UInt8 => NumberDataViewType.Byte,
        TensorElementType.Int8 => NumberDataViewType.SByte,
        TensorElementType.Bool => BooleanDataViewType.Instance,
        _ => null,
    };

    private static void CheckColumn(DataViewSchema.Column column, TensorMetadata input)
    {
        var expected = ItemType(input.ElementType);
        var itemType = column.Type is VectorDataViewType vector ? vector.ItemType : column.Type;
        if (itemType is TextDataViewType)
        {
            throw new InvalidInputException(column.Name, $"Column '{column.Name}' holds text, but model input '{input.Name}' takes {input.ElementType} tensors ({input}). Tokenize the text first, for example with TokenizeForBert, and feed its id columns.");
        }

        if (expected is null || !itemType.Equals(expected))
        {
            throw new InvalidInputException(column.Name, $"Column '{column.Name}' has type {column.Type}, but model input '{input.Name}' takes {expected?.ToString() ?? input.ElementType.ToString()} values ({input}). Convert the column first (for example with ConvertType).");
        }

        long fixedSize = 1;
        var variable = false;
        for (var d = 1; d < input.Rank; d++)
        {
            if (input.IsDynamic(d))
            {
                variable = true;
            }
            else
            {
                fixedSize *= input.Dimensions[d];
            }
        }

        if (column.Type is VectorDataViewType { IsKnownSize: true } known)
        {
            if (!variable && known.Size != fixedSize)
            {
                throw new InvalidInputException(column.Name, $"Column '{column.Name}' is a vector of {known.Size} values, but model input '{input.Name}' ({input}) takes {fixedSize} values per row.");
            }

            if (variable && known.Size % fixedSize != 0)
            {
                throw new InvalidInputException(column.Name, $"Column '{column.Name}' is a vector of {known.Size} values, which is not a multiple of the {fixedSize} values per position that model input '{input.Name}' ({input}) takes.");
            }
        }
        else if (column.Type is not VectorDataViewType && fixedSize != 1)
        {
            throw new InvalidInputException(column.Name, $"Column '{column.Name}' is a single value, but model input '{input.Name}' ({input}) takes {fixedSize} values per row. Use a vector column.");
        }
    }

    private static string ColumnList(DataViewSchema schema)
    {
        var names = new List<string>();
        foreach (var column in schema)
        {
            if (!column.IsHidden)
            {
                names.Add(column.Name);
            }
        }

        return string.Join(", ", names);
    }
}
