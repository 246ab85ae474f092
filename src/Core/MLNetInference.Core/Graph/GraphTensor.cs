using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Graph;

/// <summary>A typed view of a constant tensor in a graph: an initializer or the value of a <c>Constant</c> node.</summary>
public sealed class GraphTensor
{
    /// <summary>Initializes a new instance of the <see cref="GraphTensor"/> class over a tensor proto.</summary>
    /// <param name="proto">The tensor; it is not copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="proto"/> is <see langword="null"/>.</exception>
    public GraphTensor(TensorProto proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        Proto = proto;
    }

    /// <summary>Gets the underlying tensor proto.</summary>
    public TensorProto Proto { get; }

    /// <summary>Gets the tensor's name.</summary>
    public string Name => Proto.Name;

    /// <summary>Gets the tensor's element type.</summary>
    public TensorProto.Types.DataType ElementType => (TensorProto.Types.DataType)Proto.DataType;

    /// <summary>Gets the tensor's dimensions (empty for a scalar).</summary>
    public IReadOnlyList<long> Dims => Proto.Dims;

    /// <summary>Gets the number of elements the dimensions describe (1 for a scalar).</summary>
    /// <exception cref="OnnxFormatException">A dimension is negative or the count overflows.</exception>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (var dim in Proto.Dims)
            {
                if (dim < 0)
                {
                    throw new OnnxFormatException($"Tensor '{Name}' has a negative dimension {dim}.");
                }

                try
                {
                    count = checked(count * dim);
                }
                catch (OverflowException ex)
                {
                    throw new OnnxFormatException($"Tensor '{Name}' has dimensions [{string.Join(", ", Proto.Dims)}] whose element count overflows.", ex);
                }
            }

            return count;
        }
    }

    /// <summary>Reads the values of a FLOAT tensor.</summary>
    /// <param name="values">The values in row-major order.</param>
    /// <returns><see langword="false"/> when the tensor is not FLOAT or is stored externally.</returns>
    public bool TryReadFloat(out float[] values) => TensorData.TryReadFloat(Proto, out values);

    /// <summary>Reads the values of an INT64 or INT32 tensor as 64-bit integers.</summary>
    /// <param name="values">The values in row-major order.</param>
    /// <returns><see langword="false"/> when the tensor holds another element type or is stored externally.</returns>
    public bool TryReadInt64(out long[] values) => TensorData.TryReadInt64(Proto, out values);
}
