namespace MLNetInference.Core.Runtime;

/// <summary>
/// One row's values for one model input: a flat array in row-major order, without the batch dimension.
/// Along a variable-length axis the row carries its own length; the batch runner pads it to the batch's longest.
/// </summary>
/// <remarks>The array is read, never kept or written, by the runner; <see cref="Length"/> lets a caller pass a pooled, larger array.</remarks>
public readonly struct RowTensor
{
    private RowTensor(Array values, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(values);
        if ((uint)offset > (uint)values.Length || (uint)length > (uint)(values.Length - offset))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Offset {offset} and length {length} must lie within the array of {values.Length}.");
        }

        Values = values;
        Offset = offset;
        Length = length;
    }

    private RowTensor(Array values, int length)
        : this(values, 0, length)
    {
    }

    /// <summary>Creates a row of 32-bit floats from a slice of a larger (for example shared or pooled) array.</summary>
    /// <param name="values">The array.</param>
    /// <param name="offset">Where the row starts.</param>
    /// <param name="length">How many values belong to the row.</param>
    public RowTensor(float[] values, int offset, int length)
        : this((Array)values, offset, length)
    {
    }

    /// <summary>Creates a row of 64-bit integers from a slice of a larger array.</summary>
    /// <param name="values">The array.</param>
    /// <param name="offset">Where the row starts.</param>
    /// <param name="length">How many values belong to the row.</param>
    public RowTensor(long[] values, int offset, int length)
        : this((Array)values, offset, length)
    {
    }

    /// <summary>Creates a row of 32-bit integers from a slice of a larger array.</summary>
    /// <param name="values">The array.</param>
    /// <param name="offset">Where the row starts.</param>
    /// <param name="length">How many values belong to the row.</param>
    public RowTensor(int[] values, int offset, int length)
        : this((Array)values, offset, length)
    {
    }

    /// <summary>Creates a row of 64-bit floats from a slice of a larger array.</summary>
    /// <param name="values">The array.</param>
    /// <param name="offset">Where the row starts.</param>
    /// <param name="length">How many values belong to the row.</param>
    public RowTensor(double[] values, int offset, int length)
        : this((Array)values, offset, length)
    {
    }

    /// <summary>Creates a row of 32-bit floats.</summary>
    /// <param name="values">The values.</param>
    /// <param name="length">How many leading values belong to the row; all when negative.</param>
    public RowTensor(float[] values, int length = -1)
        : this((Array)values, length < 0 ? values?.Length ?? 0 : length)
    {
    }

    /// <summary>Creates a row of 64-bit integers.</summary>
    /// <param name="values">The values.</param>
    /// <param name="length">How many leading values belong to the row; all when negative.</param>
    public RowTensor(long[] values, int length = -1)
        : this((Array)values, length < 0 ? values?.Length ?? 0 : length)
    {
    }

    /// <summary>Creates a row of 32-bit integers.</summary>
    /// <param name="values">The values.</param>
    /// <param name="length">How many leading values belong to the row; all when negative.</param>
    public RowTensor(int[] values, int length = -1)
        : this((Array)values, length < 0 ? values?.Length ?? 0 : length)
    {
    }

    /// <summary>Creates a row of 64-bit floats.</summary>
    /// <param name="values">The values.</param>
    /// <param name="length">How many leading values belong to the row; all when negative.</param>
    public RowTensor(double[] values, int length = -1)
        : this((Array)values, length < 0 ? values?.Length ?? 0 : length)
    {
    }

    /// <summary>Gets the array holding the row's values.</summary>
    public Array Values { get; }

    /// <summary>Gets where the row's values start in <see cref="Values"/>.</summary>
    public int Offset { get; }

    /// <summary>Gets the number of elements of <see cref="Values"/>, from <see cref="Offset"/>, that belong to the row.</summary>
    public int Length { get; }

    /// <summary>Gets whether this row tensor holds no array (the default value).</summary>
    public bool IsEmpty => Values is null;

    /// <summary>Creates a row from an array of a supported element type (float, long, int, double, or ONNX Runtime's Float16).</summary>
    /// <param name="values">The values.</param>
    /// <param name="length">How many leading values belong to the row.</param>
    /// <returns>The row tensor.</returns>
    /// <exception cref="ArgumentException">The array's element type is not supported.</exception>
    public static RowTensor FromArray(Array values, int length) => FromArray(values, 0, length);

    /// <summary>Creates a row from a slice of an array of a supported element type (float, long, int, double, or ONNX Runtime's Float16).</summary>
    /// <param name="values">The values.</param>
    /// <param name="offset">Where the row starts.</param>
    /// <param name="length">How many values belong to the row.</param>
    /// <returns>The row tensor.</returns>
    /// <exception cref="ArgumentException">The array's element type is not supported.</exception>
    public static RowTensor FromArray(Array values, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values switch
        {
            float[] or long[] or int[] or double[] or Microsoft.ML.OnnxRuntime.Float16[] => new RowTensor(values, offset, length),
            _ => throw new ArgumentException($"Arrays of {values.GetType().GetElementType()} are not supported; use float, long, int, double or Float16.", nameof(values)),
        };
    }
}
