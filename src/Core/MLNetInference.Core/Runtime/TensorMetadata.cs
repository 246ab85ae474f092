using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetInference.Core.Runtime;

/// <summary>The declared element type and shape of one model input or output.</summary>
public sealed class TensorMetadata
{
    internal TensorMetadata(string name, int index, TensorElementType elementType, int[] dimensions, string[] symbolicDimensions)
    {
        Name = name;
        Index = index;
        ElementType = elementType;
        Dimensions = dimensions;
        SymbolicDimensions = symbolicDimensions;
    }

    /// <summary>Gets the input or output name.</summary>
    public string Name { get; }

    /// <summary>Gets the position among the model's inputs or outputs.</summary>
    public int Index { get; }

    /// <summary>Gets the element type.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>Gets the declared dimensions; -1 marks a dimension not fixed by the model.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>Gets the symbolic names of the dimensions; an empty string where the dimension has none.</summary>
    public IReadOnlyList<string> SymbolicDimensions { get; }

    /// <summary>Gets the rank.</summary>
    public int Rank => Dimensions.Count;

    /// <summary>Gets the .NET type of one element (float, long, int, ...), or <see langword="null"/> when not supported by the batch runner.</summary>
    public Type? ClrType => ElementType switch
    {
        TensorElementType.Float => typeof(float),
        TensorElementType.Int64 => typeof(long),
        TensorElementType.Int32 => typeof(int),
        TensorElementType.Double => typeof(double),
        TensorElementType.UInt8 => typeof(byte),
        TensorElementType.Int8 => typeof(sbyte),
        TensorElementType.Bool => typeof(bool),
        _ => null,
    };

    /// <summary>Tells whether a dimension is not fixed by the model.</summary>
    /// <param name="axis">The axis.</param>
    /// <returns><see langword="true"/> when the dimension is symbolic or unknown.</returns>
    public bool IsDynamic(int axis) => Dimensions[axis] < 0;

    /// <inheritdoc/>
    public override string ToString()
    {
        var dims = new string[Dimensions.Count];
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = Dimensions[i] >= 0 ? Dimensions[i].ToString(System.Globalization.CultureInfo.InvariantCulture)
                : SymbolicDimensions[i].Length > 0 ? SymbolicDimensions[i] : "?";
        }

        return $"{Name}: {ElementType}[{string.Join(", ", dims)}]";
    }
}
