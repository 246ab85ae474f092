using System.Diagnostics.CodeAnalysis;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// The outputs of one <see cref="SampleRunner.Run(SampleBinding, CancellationToken)"/> call, whole (batch dimension
/// included), with their shapes. Owns the ONNX Runtime output tensors until disposed.
/// </summary>
public sealed class SampleResult : IDisposable
{
    private readonly string[] _names;
    private readonly IDisposableReadOnlyCollection<OrtValue> _values;
    private bool _disposed;

    internal SampleResult(string[] names, IDisposableReadOnlyCollection<OrtValue> values)
    {
        _names = names;
        _values = values;
    }

    /// <summary>Gets the number of outputs.</summary>
    public int Count => _names.Length;

    /// <summary>Gets the output names, by output index.</summary>
    public IReadOnlyList<string> OutputNames => _names;

    /// <summary>Gets the index of an output.</summary>
    /// <param name="name">The output name.</param>
    /// <returns>The index, or -1.</returns>
    public int IndexOf(string name) => Array.IndexOf(_names, name);

    /// <summary>Gets whether an output is a tensor (rather than a sequence or a map).</summary>
    /// <param name="output">The output index.</param>
    /// <returns><see langword="true"/> for a tensor.</returns>
    public bool IsTensor(int output) => Get(output).IsTensor;

    /// <summary>Gets an output's element type.</summary>
    /// <param name="output">The output index.</param>
    /// <returns>The element type; <see cref="TensorElementType.DataTypeMax"/> for an output that is not a tensor.</returns>
    public TensorElementType GetElementType(int output)
    {
        var value = Get(output);
        return value.IsTensor ? value.GetTensorTypeAndShape().ElementDataType : TensorElementType.DataTypeMax;
    }

    /// <summary>Gets an output's shape, batch dimension included.</summary>
    /// <param name="output">The output index.</param>
    /// <returns>The dimensions; empty for an output that is not a tensor.</returns>
    public long[] GetShape(int output)
    {
        var value = Get(output);
        return value.IsTensor ? value.GetTensorTypeAndShape().Shape : [];
    }

    /// <summary>Gets an output's values without copying them; the span is valid until this result is disposed.</summary>
    /// <typeparam name="T">The output's element type: <see cref="float"/>, <see cref="double"/>, <see cref="long"/>, <see cref="int"/>, <see cref="bool"/>, <see cref="byte"/> or <see cref="sbyte"/>.</typeparam>
    /// <param name="output">The output index.</param>
    /// <returns>The values in row-major order.</returns>
    /// <exception cref="InvalidOperationException">The output is not a tensor of <typeparamref name="T"/>.</exception>
    public ReadOnlySpan<T> GetValues<T>(int output)
        where T : unmanaged
    {
        var value = Get(output);
        var type = GetElementType(output);
        if (!value.IsTensor || type != ElementTypeOf<T>())
        {
            throw new InvalidOperationException($"Output '{_names[output]}' holds {(value.IsTensor ? type.ToString() : "no tensor")} values; it cannot be read as {typeof(T).Name}. Check GetElementType first.");
        }

        return value.GetTensorDataAsSpan<T>();
    }

    /// <summary>Copies a float output into a new array.</summary>
    /// <param name="output">The output index.</param>
    /// <returns>The values in row-major order.</returns>
    /// <exception cref="InvalidOperationException">The output is not a float tensor.</exception>
    public float[] ToFloatArray(int output) => GetValues<float>(output).ToArray();

    /// <summary>Copies a numeric or boolean output into a new array of doubles (true is 1, false is 0).</summary>
    /// <param name="output">The output index.</param>
    /// <param name="values">The values in row-major order, or <see langword="null"/>.</param>
    /// <returns><see langword="false"/> when the output is not a tensor of float, float16, double, long, int or bool.</returns>
    public bool TryToDoubleArray(int output, [NotNullWhen(true)] out double[]? values)
    {
        var value = Get(output);
        values = !value.IsTensor ? null : GetElementType(output) switch
        {
            TensorElementType.Float => Widen(value.GetTensorDataAsSpan<float>()),
            TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Int64 => Widen(value.GetTensorDataAsSpan<long>()),
            TensorElementType.Int32 => Widen(value.GetTensorDataAsSpan<int>()),
            TensorElementType.Bool => Widen(value.GetTensorDataAsSpan<bool>()),
            TensorElementType.Float16 => Widen(value.GetTensorDataAsSpan<Float16>()),
            _ => null,
        };
        return values is not null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _values.Dispose();
    }

    private OrtValue Get(int output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(output);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(output, _names.Length);
        return _values[output];
    }

    private static TensorElementType ElementTypeOf<T>()
    {
        return typeof(T) == typeof(float) ? TensorElementType.Float
            : typeof(T) == typeof(double) ? TensorElementType.Double
            : typeof(T) == typeof(long) ? TensorElementType.Int64
            : typeof(T) == typeof(int) ? TensorElementType.Int32
            : typeof(T) == typeof(bool) ? TensorElementType.Bool
            : typeof(T) == typeof(byte) ? TensorElementType.UInt8
            : typeof(T) == typeof(sbyte) ? TensorElementType.Int8
            : TensorElementType.DataTypeMax;
    }

    private static double[] Widen<T>(ReadOnlySpan<T> span)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var result = new double[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            result[i] = double.CreateTruncating(span[i]);
        }

        return result;
    }

    private static double[] Widen(ReadOnlySpan<Float16> span)
    {
        var result = new double[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            result[i] = span[i].ToFloat();
        }

        return result;
    }

    private static double[] Widen(ReadOnlySpan<bool> span)
    {
        var result = new double[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            result[i] = span[i] ? 1 : 0;
        }

        return result;
    }
}
