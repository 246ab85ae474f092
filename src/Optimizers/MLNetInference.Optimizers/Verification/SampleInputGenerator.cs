using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Optimizers.Verification;

/// <summary>
/// Makes sample inputs for a model from its declared graph inputs, so that a model can be verified without user data.
/// </summary>
/// <remarks>
/// A dynamic dimension gets <see cref="SampleInputOptions.BatchSize"/> when it leads or its name contains "batch", and
/// <see cref="SampleInputOptions.SequenceLength"/> otherwise. Float inputs get uniform random values. Integer inputs whose
/// name contains "mask" get ones, "token_type" or "segment" zeros, "position" 0, 1, 2 … along the last axis, and any
/// other integer input random token ids in [<see cref="SampleInputOptions.MinTokenId"/>, <see cref="SampleInputOptions.MaxTokenId"/>).
/// Boolean inputs get <see langword="true"/>.
/// </remarks>
public static class SampleInputGenerator
{
    /// <summary>Makes sample inputs for a serialized model.</summary>
    /// <param name="model">The serialized model.</param>
    /// <param name="options">How to make them; defaults when <see langword="null"/>.</param>
    /// <returns>One dictionary of named inputs per sample.</returns>
    /// <exception cref="OnnxFormatException">The bytes are not an ONNX model.</exception>
    /// <exception cref="NotSupportedException">An input has an element type this generator cannot fill.</exception>
    public static IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> Generate(byte[] model, SampleInputOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Generate(OnnxModelIO.Parse(model), options);
    }

    /// <summary>Makes sample inputs for a model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">How to make them; defaults when <see langword="null"/>.</param>
    /// <returns>One dictionary of named inputs per sample.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="NotSupportedException">An input has an element type this generator cannot fill.</exception>
    public static IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> Generate(ModelProto model, SampleInputOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SampleInputOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SampleCount, 1, nameof(options.SampleCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SequenceLength, 1, nameof(options.SequenceLength));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.MaxTokenId, options.MinTokenId, nameof(options.MaxTokenId));

        var initializers = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        var samples = new List<IReadOnlyDictionary<string, SampleTensor>>(options.SampleCount);
        for (var s = 0; s < options.SampleCount; s++)
        {
            var random = new Random(options.Seed + s);
            var sample = new Dictionary<string, SampleTensor>(StringComparer.Ordinal);
            foreach (var input in model.Graph.Input)
            {
                if (!initializers.Contains(input.Name))
                {
                    sample[input.Name] = Make(input, options, random);
                }
            }

            samples.Add(sample);
        }

        return samples;
    }

    private static SampleTensor Make(ValueInfoProto input, SampleInputOptions options, Random random)
    {
        var tensorType = input.Type?.TensorType
            ?? throw new NotSupportedException($"Input '{input.Name}' is not a tensor; sample inputs can only be made for tensors.");
        var shape = ResolveShape(tensorType.Shape, options);
        long count = 1;
        foreach (var dim in shape)
        {
            count = checked(count * dim);
        }

        if (count > int.MaxValue / 8)
        {
            throw new NotSupportedException($"Input '{input.Name}' would need {count} elements; too many for a sample.");
        }

        var n = (int)count;
        var name = input.Name.ToLowerInvariant();
        var type = (TensorProto.Types.DataType)tensorType.ElemType;
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
                {
                    var data = new float[n];
                    for (var i = 0; i < n; i++)
                    {
                        data[i] = (float)((random.NextDouble() * 2) - 1) * options.FloatScale;
                    }

                    return new SampleTensor(data, shape);
                }

            case TensorProto.Types.DataType.Float16:
                {
                    var data = new Microsoft.ML.OnnxRuntime.Float16[n];
                    for (var i = 0; i < n; i++)
                    {
                        data[i] = (Microsoft.ML.OnnxRuntime.Float16)(float)(((random.NextDouble() * 2) - 1) * options.FloatScale);
                    }

                    return new SampleTensor(data, shape);
                }

            case TensorProto.Types.DataType.Double:
                {
                    var data = new double[n];
                    for (var i = 0; i < n; i++)
                    {
                        data[i] = ((random.NextDouble() * 2) - 1) * options.FloatScale;
                    }

                    return new SampleTensor(data, shape);
                }

            case TensorProto.Types.DataType.Int64:
                return new SampleTensor(Integers(name, shape, n, options, random), shape);
            case TensorProto.Types.DataType.Int32:
                return new SampleTensor(Array.ConvertAll(Integers(name, shape, n, options, random), v => (int)v), shape);
            case TensorProto.Types.DataType.Bool:
                {
                    var data = new bool[n];
                    Array.Fill(data, true);
                    return new SampleTensor(data, shape);
                }

            default:
                throw new NotSupportedException(
                    $"Input '{input.Name}' has element type {type}; sample inputs can be made for float, float16, double, int64, int32 and bool. Pass your own inputs instead.");
        }
    }

    private static long[] Integers(string name, long[] shape, int n, SampleInputOptions options, Random random)
    {
        var data = new long[n];
        if (name.Contains("mask", StringComparison.Ordinal))
        {
            Array.Fill(data, 1L);
        }
        else if (name.Contains("token_type", StringComparison.Ordinal) || name.Contains("segment", StringComparison.Ordinal))
        {
            // Zeros already.
        }
        else if (name.Contains("position", StringComparison.Ordinal))
        {
            var last = shape.Length == 0 ? 1 : Math.Max(1, shape[^1]);
            for (var i = 0; i < n; i++)
            {
                data[i] = i % last;
            }
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                data[i] = random.NextInt64(options.MinTokenId, options.MaxTokenId);
            }
        }

        return data;
    }

    private static long[] ResolveShape(TensorShapeProto? shape, SampleInputOptions options)
    {
        if (shape is null)
        {
            return [options.BatchSize];
        }

        var result = new long[shape.Dim.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var dim = shape.Dim[i];
            if (dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && dim.DimValue >= 0)
            {
                result[i] = dim.DimValue;
                continue;
            }

            var isBatch = i == 0 || (dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam
                && dim.DimParam.Contains("batch", StringComparison.OrdinalIgnoreCase));
            result[i] = isBatch ? options.BatchSize : options.SequenceLength;
        }

        return result;
    }
}
