using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Passes;

namespace MLNetInference.Optimizers.Quantization.Fp16;

/// <summary>
/// FP16 conversion in the "fp16 weights, fp32 compute" storage mode: every float initializer that qualifies is stored
/// as FLOAT16 under a new name and followed by a <c>Cast</c> (to FLOAT) node that produces the original name, so every
/// operator still computes in fp32. The file's weights take half the bytes; graph inputs and outputs stay float.
/// </summary>
/// <remarks>
/// ONNX Runtime's CPU execution provider has no fp16 kernels on x86-64 for most operators (MatMul, Gemm, Conv, Add,
/// Mul, Softmax, ...), so a model whose compute is fp16 fails to load or falls back to inserted casts around every node;
/// this mode keeps the model loadable and runnable by the CPU provider. ONNX Runtime's constant folding turns each
/// <c>Cast</c> of an initializer back into an fp32 initializer at session creation, so it costs nothing per run.
/// Initializers read by a blocked op type or an excluded node, smaller than <see cref="Fp16Options.MinimumElements"/>,
/// held in external data, or shadowed by a graph input stay fp32.
/// </remarks>
public sealed class Fp16ConversionPass : ModelPass
{
    private const float MaxHalf = 65504f;

    private readonly Fp16Options _options;
    private readonly HashSet<string> _blockedOps;
    private readonly HashSet<string> _excludedNodes;

    /// <summary>Initializes a new instance of the <see cref="Fp16ConversionPass"/> class.</summary>
    /// <param name="options">The settings; defaults (ORT's default block list, 16 elements minimum) when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Fp16Options.MinimumElements"/> is negative.</exception>
    public Fp16ConversionPass(Fp16Options? options = null)
    {
        _options = options ?? new Fp16Options();
        if (_options.MinimumElements < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MinimumElements must not be negative.");
        }

        _blockedOps = new HashSet<string>(_options.BlockedOpTypes, StringComparer.Ordinal);
        _excludedNodes = new HashSet<string>(_options.ExcludedNodeNames, StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public override string Name => "fp16";

    /// <summary>Gets what the latest run did; <see langword="null"/> before the first run.</summary>
    public Fp16Summary? LastSummary { get; private set; }

    /// <inheritdoc/>
    protected override bool RunCore(ModelProto model)
    {
        var summary = new Fp16Summary();
        LastSummary = summary;
        var graph = model.Graph;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var blockedReads = new HashSet<string>(StringComparer.Ordinal);
        var reads = new HashSet<string>(StringComparer.Ordinal);
        CollectNames(graph, names, reads, blockedReads);
        var graphInputs = new HashSet<string>(graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        var graphOutputs = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);

        var casts = new List<NodeProto>();
        for (var i = 0; i < graph.Initializer.Count; i++)
        {
            var tensor = graph.Initializer[i];
            if ((TensorProto.Types.DataType)tensor.DataType != TensorProto.Types.DataType.Float)
            {
                continue;
            }

            var reason = KeepReason(tensor, graphInputs, graphOutputs, reads, blockedReads);
            if (reason is not null)
            {
                summary.Kept.Add($"{tensor.Name}: {reason}");
                continue;
            }

            if (!TensorData.TryReadFloat(tensor, out var values))
            {
                summary.Kept.Add($"{tensor.Name}: cannot be read");
                continue;
            }

            var halfName = Fresh(names, $"{tensor.Name}_fp16");
            graph.Initializer[i] = ToHalf(halfName, tensor, values, summary);
            var cast = new NodeProto { Name = Fresh(names, $"{tensor.Name}_CastToFloat"), OpType = "Cast" };
            cast.Input.Add(halfName);
            cast.Output.Add(tensor.Name);
            cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float });
            casts.Add(cast);
            summary.ConvertedInitializers++;
            summary.BytesSaved += values.LongLength * 2;
        }

        for (var i = casts.Count - 1; i >= 0; i--)
        {
            graph.Node.Insert(0, casts[i]);
        }

        return casts.Count > 0;
    }

    private string? KeepReason(TensorProto tensor, HashSet<string> graphInputs, HashSet<string> graphOutputs, HashSet<string> reads, HashSet<string> blockedReads)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            return "external data that was not loaded";
        }

        if (graphInputs.Contains(tensor.Name))
        {
            return "a graph input of the same name may override it";
        }

        if (graphOutputs.Contains(tensor.Name))
        {
            return "it is a graph output";
        }

        if (!reads.Contains(tensor.Name))
        {
            return "no node reads it";
        }

        if (blockedReads.Contains(tensor.Name))
        {
            return "read by a blocked op type or an excluded node";
        }

        var elements = tensor.Dims.Aggregate(1L, (a, d) => a * d);
        return elements < _options.MinimumElements ? $"{elements} elements, fewer than {_options.MinimumElements}" : null;
    }

    private void CollectNames(GraphProto graph, HashSet<string> names, HashSet<string> reads, HashSet<string> blockedReads)
    {
        foreach (var tensor in graph.Initializer)
        {
            names.Add(tensor.Name);
        }

        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            names.Add(value.Name);
        }

        foreach (var node in graph.Node)
        {
            names.Add(node.Name);
            names.UnionWith(node.Output);
            var blocked = _blockedOps.Contains(node.OpType) || _excludedNodes.Contains(node.Name);
            foreach (var input in node.Input)
            {
                reads.Add(input);
                if (blocked)
                {
                    blockedReads.Add(input);
                }
            }

            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is { } sub)
                {
                    CollectNames(sub, names, reads, blockedReads);
                }

                foreach (var g in attribute.Graphs)
                {
                    CollectNames(g, names, reads, blockedReads);
                }
            }
        }
    }

    private static string Fresh(HashSet<string> names, string baseName)
    {
        var name = baseName;
        for (var i = 1; !names.Add(name); i++)
        {
            name = $"{baseName}_{i}";
        }

        return name;
    }

    private static TensorProto ToHalf(string name, TensorProto source, float[] values, Fp16Summary summary)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (float.IsFinite(v) && Math.Abs(v) > MaxHalf)
            {
                v = MathF.CopySign(MaxHalf, v);
                summary.ClampedValues++;
            }

            System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2, 2), (Half)v);
        }

        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float16, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(source.Dims);
        return tensor;
    }
}
