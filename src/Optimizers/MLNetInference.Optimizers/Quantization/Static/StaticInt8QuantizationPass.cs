using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Quantization.Internal;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>
/// Static INT8 quantization in QDQ format, calibrated on data: activations feeding <c>Conv</c>, <c>MatMul</c> (constant
/// 2-D B) and <c>Gemm</c> (constant B, transA 0, alpha 1) get a <c>QuantizeLinear</c>/<c>DequantizeLinear</c> pair with
/// the scale and zero point chosen by calibration; their weights become symmetric int8 (per output channel by default)
/// behind a <c>DequantizeLinear</c>, and a 1-D bias becomes int32 with scale input scale × weight scale. The operators
/// between quantized nodes that run on 8-bit data (<c>Add</c>, pooling, <c>Flatten</c>, <c>Reshape</c>,
/// <c>Transpose</c>) are quantized too, the data-movement ones keeping their input's scale, and a <c>Relu</c> right after a
/// quantized node is left in front of the output's <c>QuantizeLinear</c> (uint8 activations clip it anyway), so that
/// ONNX Runtime's QDQ transformer turns each group into its QLinear kernel (<c>QLinearConv</c>, <c>QLinearMatMul</c>,
/// <c>QGemm</c>, <c>QLinearAdd</c>, ...) and a MatMul whose output stays float into <c>MatMulIntegerToFloat</c>. A MatMul
/// of a 2-D activation (rank seen in calibration) followed by a constant bias <c>Add</c> becomes one <c>Gemm</c> with an
/// int32 bias (QGemm in ONNX Runtime, which would otherwise fuse the pair into a float Gemm first).
/// </summary>
/// <remarks>
/// Calibration runs the model as the pass finds it (after any fusion before it) on <see cref="Calibration"/>; without
/// calibration data the pass calibrates on inputs from <see cref="SampleInputGenerator"/> and says so in
/// <see cref="StaticInt8Summary.Warnings"/>, since random inputs give ranges unlike real data. Per-channel weights need
/// opset 13; an older model whose operators mean the same at opset 13 is raised to it. A model that already holds
/// QuantizeLinear or DequantizeLinear nodes is left alone, so that the pass is idempotent under a pass manager.
/// </remarks>
public sealed class StaticInt8QuantizationPass : ModelPass
{
    private const string Quantize = "QuantizeLinear";
    private const string Dequantize = "DequantizeLinear";

    private static readonly HashSet<string> CoreOps = new(StringComparer.Ordinal) { "Conv", "MatMul", "Gemm" };

    // Data movement: ONNX Runtime runs them on 8-bit data when input and output share scale and zero point.
    private static readonly HashSet<string> SameScaleOps = new(StringComparer.Ordinal) { "MaxPool", "Flatten", "Reshape", "Transpose" };

    // 8-bit kernels that requantize: their output gets its own calibrated scale.
    private static readonly HashSet<string> RescalingOps = new(StringComparer.Ordinal) { "Add", "AveragePool", "GlobalAveragePool" };

    // Default-domain operators whose meaning does not change between their opset-7..12 versions and opset 13.
    private static readonly HashSet<string> OpsetSafeOps = new(StringComparer.Ordinal)
    {
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "Add", "Sub", "Mul", "Div", "Gemm", "MatMul", "Flatten", "Reshape", "Transpose", "Concat",
        "Identity", "Constant", "Shape", "Gather", "Sqrt", "Pow", "Exp", "Erf", "Cast", "Abs", "Neg",
    };

    private readonly StaticInt8Options _options;
    private readonly WeightSelection _selection;

    /// <summary>Initializes a new instance of the <see cref="StaticInt8QuantizationPass"/> class.</summary>
    /// <param name="calibration">The calibration inputs, one dictionary of named inputs per run; generated ones when <see langword="null"/>.</param>
    /// <param name="options">The settings; defaults (MinMax, uint8 activations, per-channel int8 weights) when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public StaticInt8QuantizationPass(IEnumerable<IReadOnlyDictionary<string, SampleTensor>>? calibration = null, StaticInt8Options? options = null)
    {
        _options = options ?? new StaticInt8Options();
        _options.Validate();
        _selection = new WeightSelection(_options.ExcludedOpTypes, _options.ExcludedNodeNames, _options.MinimumWeightElements);
        Calibration = calibration;
    }

    /// <inheritdoc/>
    public override string Name => "static-int8";

    /// <summary>Gets or sets the calibration inputs; when <see langword="null"/> the pass calibrates on generated inputs.</summary>
    public IEnumerable<IReadOnlyDictionary<string, SampleTensor>>? Calibration { get; set; }

    /// <summary>Gets the settings.</summary>
    public StaticInt8Options Options => _options;

    /// <summary>
    /// Gets what the latest run did (a re-run that finds the model already quantized keeps the summary of the run
    /// that quantized it); <see langword="null"/> before the first run.
    /// </summary>
    public StaticInt8Summary? LastSummary { get; private set; }

    /// <inheritdoc/>
    protected override bool RunCore(ModelProto model)
    {
        var summary = new StaticInt8Summary { Method = _options.Method };
        if (model.Graph.Node.Any(n => OpsetInfo.IsOp(n, Quantize) || OpsetInfo.IsOp(n, Dequantize)))
        {
            // Under a pass manager this is the re-run after quantizing: keep the summary of the run that quantized.
            summary.Skipped.Add("the model already holds QuantizeLinear/DequantizeLinear nodes");
            LastSummary ??= summary;
            return false;
        }

        LastSummary = summary;

        var graph = new OnnxGraph(model);
        var plans = new List<WeightPlan>();
        var quantizedNodes = new List<NodeProto>();
        var quantizedOutputs = new HashSet<string>(StringComparer.Ordinal);
        var sharedScale = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in graph.TopologicalOrder())
        {
            if (!OpsetInfo.IsOnnxDomain(node))
            {
                continue;
            }

            if (CoreOps.Contains(node.OpType))
            {
                var plan = PlanCore(node, graph, out var reason);
                if (plan is null)
                {
                    summary.Skipped.Add($"{Label(node)}: {reason}");
                    continue;
                }

                plans.Add(plan);
            }
            else if (!_options.QuantizeConnectingOps
                || !(SameScaleOps.Contains(node.OpType) || RescalingOps.Contains(node.OpType))
                || _options.ExcludedOpTypes.Contains(node.OpType)
                || _options.ExcludedNodeNames.Contains(node.Name)
                || !DataInputs(node).All(quantizedOutputs.Contains))
            {
                continue;
            }
            else
            {
                summary.QuantizedConnectingNodes++;
            }

            quantizedNodes.Add(node);
            var output = EffectiveOutput(node, graph);
            quantizedOutputs.Add(output);
            if (SameScaleOps.Contains(node.OpType))
            {
                sharedScale[output] = node.Input[0];
            }
        }

        if (plans.Count == 0)
        {
            summary.QuantizedConnectingNodes = 0;
            return false;
        }

        var perChannel = _options.PerChannel;
        if (!EnsureOpset(graph, ref perChannel, summary))
        {
            summary.QuantizedConnectingNodes = 0;
            return false;
        }

        // The activations to quantize, each with the quantized nodes that will read its dequantized copy.
        var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in quantizedNodes)
        {
            foreach (var input in DataInputs(node))
            {
                if (!readers.TryGetValue(input, out var list))
                {
                    readers[input] = list = [];
                }

                if (!list.Contains(node))
                {
                    list.Add(node);
                }
            }
        }

        foreach (var shared in sharedScale.Keys.Where(k => !readers.ContainsKey(k)).ToList())
        {
            sharedScale.Remove(shared);
        }

        var parameters = CalibrateActivations(model, readers.Keys, sharedScale, summary, out var ranks);
        for (var i = 0; i < plans.Count; i++)
        {
            plans[i] = FoldBiasAddIntoGemm(plans[i], graph, ranks);
        }
        var touched = new List<string>();
        foreach (var (tensor, nodes) in readers)
        {
            InsertQuantizePair(graph, tensor, nodes, parameters[tensor]);
        }

        var weightCache = new Dictionary<string, WeightParameters>(StringComparer.Ordinal);
        foreach (var plan in plans)
        {
            var weight = QuantizeWeight(graph, plan, perChannel, weightCache);
            touched.Add(plan.Weight.Name);
            graph.SetInput(plan.Node, 1, weight.Output);
            if (plan.Bias is not null)
            {
                graph.SetInput(plan.Node, 2, QuantizeBias(graph, plan.Bias, parameters[plan.Activation].Scale, weight, perChannel));
                touched.Add(plan.Bias.Name);
                summary.QuantizedBiases++;
            }

            switch (plan.Node.OpType)
            {
                case "Conv":
                    summary.QuantizedConvs++;
                    break;
                case "MatMul":
                case "Gemm" when plan.FoldedBiasAdd:
                    summary.QuantizedMatMuls++;
                    break;
                default:
                    summary.QuantizedGemms++;
                    break;
            }
        }

        summary.QuantizedActivations = readers.Count;
        graph.RemoveUnusedInitializers(touched);
        graph.Commit();
        return true;
    }

    private static string Label(NodeProto node) => node.Name.Length > 0 ? node.Name : $"{node.OpType}->{node.Output[0]}";

    private static long Attribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    private static float Attribute(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    /// <summary>The activation inputs of a quantized node: input 0 of every op but <c>Add</c>, both inputs of <c>Add</c>.</summary>
    private static IEnumerable<string> DataInputs(NodeProto node) =>
        node.OpType == "Add" ? node.Input.Take(2) : node.Input.Take(1);

    /// <summary>The tensor that carries a quantized node's result: its output, or the output of a lone <c>Relu</c> after it.</summary>
    private string EffectiveOutput(NodeProto node, OnnxGraph graph)
    {
        var output = node.Output[0];
        if (_options.Activations != ActivationQuantization.UInt8Asymmetric || graph.IsGraphOutput(output))
        {
            return output;
        }

        var consumers = graph.GetConsumers(output);
        return consumers.Count == 1 && OpsetInfo.IsOp(consumers[0], "Relu") ? consumers[0].Output[0] : output;
    }

    private WeightPlan? PlanCore(NodeProto node, OnnxGraph graph, out string? reason)
    {
        reason = null;
        if (node.Input.Count < 2 || node.Input[0].Length == 0)
        {
            reason = "missing inputs";
            return null;
        }

        var weight = graph.GetConstantInitializer(node.Input[1]);
        if (weight is null || (TensorProto.Types.DataType)weight.DataType != TensorProto.Types.DataType.Float)
        {
            reason = "B is not a constant float initializer";
            return null;
        }

        if (graph.GetConstantInitializer(node.Input[0]) is not null)
        {
            reason = "A is a constant";
            return null;
        }

        int axis;
        switch (node.OpType)
        {
            case "Conv":
                if (weight.Dims.Count < 3)
                {
                    reason = $"Conv weight is {weight.Dims.Count}-D";
                    return null;
                }

                axis = 0;
                break;
            case "MatMul":
                axis = 1;
                break;
            default:
                if (Attribute(node, "transA", 0L) != 0 || Attribute(node, "alpha", 1f) != 1f)
                {
                    reason = "Gemm with transA=1 or alpha≠1 is not handled";
                    return null;
                }

                axis = Attribute(node, "transB", 0L) != 0 ? 0 : 1;
                break;
        }

        // The shared checks (exclusions, size, external data) see a weight as [output channels or K, the rest].
        var rest = 1L;
        for (var d = 1; d < weight.Dims.Count; d++)
        {
            rest *= weight.Dims[d];
        }

        var view = new TensorProto { Name = weight.Name, DataType = weight.DataType, DataLocation = weight.DataLocation };
        if (node.OpType == "Conv")
        {
            view.Dims.Add(weight.Dims[0]);
            view.Dims.Add(rest);
        }
        else
        {
            view.Dims.AddRange(weight.Dims);
        }

        reason = _selection.SkipReason(node, view);
        if (reason is not null)
        {
            return null;
        }

        var channels = weight.Dims[axis];
        TensorProto? bias = null;
        if (node.OpType is "Conv" or "Gemm" && node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            bias = graph.GetConstantInitializer(node.Input[2]);
            var beta = node.OpType == "Gemm" ? Attribute(node, "beta", 1f) : 1f;
            if (bias is null
                || (TensorProto.Types.DataType)bias.DataType != TensorProto.Types.DataType.Float
                || bias.Dims.Count != 1
                || bias.Dims[0] != channels
                || beta != 1f)
            {
                reason = "the bias is not a constant float vector with one value per output channel (and beta 1)";
                return null;
            }
        }

        return new WeightPlan(node, node.Input[0], weight, axis, bias);
    }

    /// <summary>
    /// Turns a MatMul of a 2-D activation followed by the Add of a constant [N] bias into one Gemm with that bias (then
    /// stored as int32). ONNX Runtime would otherwise fuse the pair into a float Gemm over the dequantized weights before
    /// its QDQ transformer sees the MatMul; a quantized Gemm becomes QGemm.
    /// </summary>
    private static WeightPlan FoldBiasAddIntoGemm(WeightPlan plan, OnnxGraph graph, Dictionary<string, int> ranks)
    {
        var node = plan.Node;
        if (node.OpType != "MatMul" || !ranks.TryGetValue(plan.Activation, out var rank) || rank != 2)
        {
            return plan;
        }

        var output = node.Output[0];
        var consumers = graph.GetConsumers(output);
        if (graph.IsGraphOutput(output) || consumers.Count != 1)
        {
            return plan;
        }

        var add = consumers[0];
        if (!OpsetInfo.IsOp(add, "Add") || add.Input.Count != 2 || add.Input[0] == add.Input[1])
        {
            return plan;
        }

        var biasName = add.Input[0] == output ? add.Input[1] : add.Input[0];
        var bias = graph.GetConstantInitializer(biasName);
        if (bias is null
            || (TensorProto.Types.DataType)bias.DataType != TensorProto.Types.DataType.Float
            || bias.Dims.Count != 1
            || bias.Dims[0] != plan.Weight.Dims[1])
        {
            return plan;
        }

        var sum = add.Output[0];
        graph.RemoveNode(add);
        graph.UpdateNode(node, n =>
        {
            n.OpType = "Gemm";
            n.Input.Add(biasName);
            n.Output[0] = sum;
        });
        return plan with { Bias = bias, FoldedBiasAdd = true };
    }

    private bool EnsureOpset(OnnxGraph graph, ref bool perChannel, StaticInt8Summary summary)
    {
        var imported = graph.GetOpsetVersion(OpsetInfo.OnnxDomain);
        var version = imported ?? 0;
        var needed = perChannel ? 13 : 10;
        if (version >= needed)
        {
            return true;
        }

        var unsafeOps = graph.Nodes.Where(n => OpsetInfo.IsOnnxDomain(n) && !OpsetSafeOps.Contains(n.OpType)).Select(n => n.OpType).Distinct().ToList();
        var badBatchNorm = graph.Nodes.Any(n => n.OpType == "BatchNormalization" && Attribute(n, "spatial", 1L) != 1);
        if (imported is not null && unsafeOps.Count == 0 && !badBatchNorm)
        {
            foreach (var node in graph.Nodes.Where(n => n.OpType == "BatchNormalization"))
            {
                var spatial = node.Attribute.FirstOrDefault(a => a.Name == "spatial");
                if (spatial is not null)
                {
                    node.Attribute.Remove(spatial);
                }
            }

            summary.RaisedOpsetFrom = version;
            graph.EnsureOpset(OpsetInfo.OnnxDomain, 13);
            return true;
        }

        var why = badBatchNorm ? "BatchNormalization with spatial=0" : string.Join(", ", unsafeOps);
        if (version >= 10)
        {
            perChannel = false;
            summary.Warnings.Add($"opset {version} has no per-channel DequantizeLinear and cannot be raised to 13 ({why}); weights use one scale per tensor");
            return true;
        }

        summary.Skipped.Add($"opset {version} has no QuantizeLinear and cannot be raised ({why})");
        return false;
    }

    private Dictionary<string, (float Scale, byte ZeroPoint)> CalibrateActivations(
        ModelProto model,
        IEnumerable<string> tensors,
        Dictionary<string, string> sharedScale,
        StaticInt8Summary summary,
        out Dictionary<string, int> ranks)
    {
        var samples = Calibration;
        if (samples is null)
        {
            samples = SampleInputGenerator.Generate(model, new SampleInputOptions { SampleCount = _options.GeneratedSampleCount, BatchSize = 1 });
            summary.CalibratedOnGeneratedInputs = true;
            summary.Warnings.Add(
                $"no calibration data was supplied: calibrated on {_options.GeneratedSampleCount} generated random inputs, whose activation ranges may be far from real data; supply calibration samples for an accurate model");
        }

        var all = tensors.ToList();
        var own = all.Where(t => !sharedScale.ContainsKey(t)).ToList();
        var statistics = ActivationCalibrator.Observe(model, own, samples, _options, out var count);
        ranks = statistics.ToDictionary(s => s.Key, s => s.Value.Rank, StringComparer.Ordinal);
        summary.CalibrationSamples = count;
        var ranges = statistics.ToDictionary(s => s.Key, s => s.Value.ToRange(_options), StringComparer.Ordinal);
        summary.Ranges = ranges;
        var result = new Dictionary<string, (float, byte)>(StringComparer.Ordinal);
        foreach (var (name, range) in ranges)
        {
            result[name] = ActivationParameters(range.Min, range.Max, _options.Activations);
        }

        foreach (var name in all.Where(sharedScale.ContainsKey))
        {
            var source = name;
            for (var hops = 0; sharedScale.TryGetValue(source, out var next) && hops < all.Count; hops++)
            {
                source = next;
            }

            result[name] = result.TryGetValue(source, out var p) ? p : (1f, (byte)0);
        }

        return result;
    }

    /// <summary>Scale and zero point (as its byte) for a range: asymmetric uint8 over [min(lo,0), max(hi,0)], or symmetric int8.</summary>
    internal static (float Scale, byte ZeroPoint) ActivationParameters(float low, float high, ActivationQuantization type)
    {
        if (type == ActivationQuantization.Int8Symmetric)
        {
            var bound = Math.Max(Math.Abs(low), Math.Abs(high));
            var s = bound / 127f;
            return (s > 0f && float.IsFinite(s) ? s : 1f, 0);
        }

        var rmin = Math.Min(low, 0f);
        var rmax = Math.Max(high, 0f);
        var scale = (rmax - rmin) / 255f;
        if (!(scale > 0f) || !float.IsFinite(scale))
        {
            return (1f, 0);
        }

        var zero = (int)Math.Clamp(MathF.Round(-rmin / scale, MidpointRounding.ToEven), 0f, 255f);
        return (scale, (byte)zero);
    }

    private void InsertQuantizePair(OnnxGraph graph, string tensor, List<NodeProto> readers, (float Scale, byte ZeroPoint) parameters)
    {
        var zeroType = _options.Activations == ActivationQuantization.UInt8Asymmetric ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Int8;
        var scaleName = graph.GenerateUniqueName($"{tensor}_scale");
        var zeroName = graph.GenerateUniqueName($"{tensor}_zero_point");
        graph.AddInitializer(TensorData.FromFloat(scaleName, [], [parameters.Scale]));
        graph.AddInitializer(new TensorProto { Name = zeroName, DataType = (int)zeroType, RawData = ByteString.CopyFrom(parameters.ZeroPoint) });
        var quantized = graph.GenerateUniqueName($"{tensor}_quantized");
        var dequantized = graph.GenerateUniqueName($"{tensor}_dequantized");
        graph.AddNode(NewNode(graph, Quantize, $"{tensor}_QuantizeLinear", [tensor, scaleName, zeroName], quantized));
        graph.AddNode(NewNode(graph, Dequantize, $"{tensor}_DequantizeLinear", [quantized, scaleName, zeroName], dequantized));
        foreach (var reader in readers)
        {
            for (var i = 0; i < reader.Input.Count; i++)
            {
                if (reader.Input[i] == tensor)
                {
                    graph.SetInput(reader, i, dequantized);
                }
            }
        }
    }

    private static NodeProto NewNode(OnnxGraph graph, string opType, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Name = graph.GenerateUniqueName(name) };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private WeightParameters QuantizeWeight(OnnxGraph graph, WeightPlan plan, bool perChannel, Dictionary<string, WeightParameters> cache)
    {
        var weight = plan.Weight;
        var key = $"{weight.Name}\u0001{plan.Axis}";
        if (cache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (!TensorData.TryReadFloat(weight, out var values))
        {
            throw new InvalidOperationException($"Cannot read the float weight '{weight.Name}'.");
        }

        var channels = checked((int)weight.Dims[plan.Axis]);
        var rest = values.Length / Math.Max(1, channels);
        if ((long)channels * rest != values.Length)
        {
            throw new InvalidOperationException($"Weight '{weight.Name}' holds {values.Length} values, not a multiple of its {channels} channels.");
        }

        // The shared quantizer gives each column its own scale: lay channel-first weights out as [rest, channels].
        var columnsFirst = plan.Axis == 0 ? Transpose(values, channels, rest) : values;
        var rows = plan.Axis == 0 ? rest : values.Length / channels;
        var result = SymmetricWeightQuantizer.Quantize(
            columnsFirst,
            rows,
            channels,
            new DynamicInt8Options { PerChannel = perChannel, ReduceRange = _options.ReduceRange, WeightType = QuantizedWeightType.Int8 });
        var quantizedValues = plan.Axis == 0 ? Transpose(result.Values, rest, channels) : result.Values;

        var qName = graph.GenerateUniqueName($"{weight.Name}_quantized");
        var scaleName = graph.GenerateUniqueName($"{weight.Name}_scale");
        var zeroName = graph.GenerateUniqueName($"{weight.Name}_zero_point");
        long[] groupDims = perChannel ? [channels] : [];
        var q = new TensorProto { Name = qName, DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(quantizedValues) };
        q.Dims.AddRange(weight.Dims);
        var zero = new TensorProto { Name = zeroName, DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(result.ZeroPoints) };
        zero.Dims.AddRange(groupDims);
        graph.AddInitializer(q);
        graph.AddInitializer(TensorData.FromFloat(scaleName, groupDims, result.Scales));
        graph.AddInitializer(zero);
        var output = graph.GenerateUniqueName($"{weight.Name}_dequantized");
        var dq = NewNode(graph, Dequantize, $"{weight.Name}_DequantizeLinear", [qName, scaleName, zeroName], output);
        if (perChannel)
        {
            dq.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = plan.Axis });
        }

        graph.AddNode(dq);
        var parameters = new WeightParameters(output, result.Scales);
        cache[key] = parameters;
        return parameters;
    }

    private static string QuantizeBias(OnnxGraph graph, TensorProto bias, float inputScale, WeightParameters weight, bool perChannel)
    {
        if (!TensorData.TryReadFloat(bias, out var values))
        {
            throw new InvalidOperationException($"Cannot read the float bias '{bias.Name}'.");
        }

        var scales = new float[values.Length];
        var quantized = new byte[values.Length * 4];
        for (var c = 0; c < values.Length; c++)
        {
            var scale = inputScale * weight.Scales[perChannel ? c : 0];
            scales[c] = scale > 0f && float.IsFinite(scale) ? scale : 1f;
            var q = (int)Math.Clamp(Math.Round(values[c] / (double)scales[c], MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            BitConverter.TryWriteBytes(quantized.AsSpan(c * 4, 4), q);
        }

        var qName = graph.GenerateUniqueName($"{bias.Name}_quantized");
        var scaleName = graph.GenerateUniqueName($"{bias.Name}_scale");
        var zeroName = graph.GenerateUniqueName($"{bias.Name}_zero_point");
        long[] groupDims = perChannel ? [values.Length] : [];
        var q32 = new TensorProto { Name = qName, DataType = (int)TensorProto.Types.DataType.Int32, RawData = ByteString.CopyFrom(quantized) };
        q32.Dims.Add(values.Length);
        var zero = new TensorProto { Name = zeroName, DataType = (int)TensorProto.Types.DataType.Int32, RawData = ByteString.CopyFrom(new byte[perChannel ? values.Length * 4 : 4]) };
        zero.Dims.AddRange(groupDims);
        graph.AddInitializer(q32);
        graph.AddInitializer(TensorData.FromFloat(scaleName, groupDims, perChannel ? scales : [scales[0]]));
        graph.AddInitializer(zero);
        var output = graph.GenerateUniqueName($"{bias.Name}_dequantized");
        var dq = NewNode(graph, Dequantize, $"{bias.Name}_DequantizeLinear", [qName, scaleName, zeroName], output);
        if (perChannel)
        {
            dq.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        }

        graph.AddNode(dq);
        return output;
    }

    private static T[] Transpose<T>(ReadOnlySpan<T> values, int rows, int columns)
    {
        var result = new T[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = values[(r * columns) + c];
            }
        }

        return result;
    }

    private sealed record WeightPlan(NodeProto Node, string Activation, TensorProto Weight, int Axis, TensorProto? Bias, bool FoldedBiasAdd = false);

    private sealed record WeightParameters(string Output, float[] Scales);
}
