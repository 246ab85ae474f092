namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// One tensor of a request or response: its name, datatype, shape and flat row-major data. The data is an array of
/// the datatype's .NET element type (<see cref="TensorDataTypes.ElementClrType"/>); a BYTES tensor holds one
/// <see cref="byte"/> array per element.
/// </summary>
internal sealed class InferTensor
{
    public InferTensor(string name, TensorDataType dataType, long[] shape, Array data)
    {
        Name = name;
        DataType = dataType;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }

    public TensorDataType DataType { get; }

    public long[] Shape { get; }

    public Array Data { get; }

    /// <summary>Gets the number of elements.</summary>
    public int Count => Data.Length;
}
