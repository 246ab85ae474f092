using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using DataType = MLNetInference.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace MLNetInference.Models.Internal;

/// <summary>How a zoo encoder writes its extended attention mask.</summary>
internal enum ZooMask
{
    /// <summary>PyTorch 1.x with transformers 4.x: <c>(1 − Cast(Unsqueeze(Unsqueeze(mask, 1), 2))) · −10000</c>.</summary>
    PyTorch1,

    /// <summary>PyTorch 2.x: the same with <c>torch.finfo(float32).min</c> in place of −10000.</summary>
    PyTorch2,

    /// <summary>Later transformers: <c>Where(Cast(1 − m, bool), finfo.min, 1 − m)</c> (<c>masked_fill</c>).</summary>
    Where,
}

/// <summary>How a zoo encoder writes GELU.</summary>
internal enum ZooGelu
{
    /// <summary><c>x · 0.5 · (1 + Erf(x / √2))</c>.</summary>
    Erf,

    /// <summary>The tanh approximation, <c>0.5 · x · (1 + Tanh(√(2/π) · (x + 0.044715 · x³)))</c>.</summary>
    Tanh,

    /// <summary>The ONNX <c>Gelu</c> op of opset 20.</summary>
    Onnx20,
}

/// <summary>How a zoo encoder writes layer normalization.</summary>
internal enum ZooLayerNorm
{
    /// <summary><c>ReduceMean → Sub → Pow → ReduceMean → Add → Sqrt → Div → Mul → Add</c>.</summary>
    Decomposed,

    /// <summary>The ONNX <c>LayerNormalization</c> op of opset 17.</summary>
    Onnx17,
}

/// <summary>The form of one zoo encoder.</summary>
internal sealed record ZooBertForm(
    long Opset,
    ZooMask Mask,
    ZooGelu Gelu,
    ZooLayerNorm LayerNorm,
    bool ConstantNodes,
    bool DynamicReshape,
    int Layers = 1);

/// <summary>
/// Builds a tiny BERT-style encoder (hidden 16, 2 heads, FFN 32, vocabulary 1000, 64 positions) in the form an
/// exporter writes, with seeded random weights: embeddings with PyTorch's position-id slice, then per layer self-attention
/// with the extended padding mask, residual + layer norm, GELU FFN, residual + layer norm.
/// </summary>
internal static class ZooBert
{
    public const int Hidden = 16;
    public const int Heads = 2;
    public const int HeadSize = Hidden / Heads;
    public const int Ffn = 32;
    public const int Vocabulary = 1000;
    public const int Positions = 64;

    public static ModelProto Build(string name, ZooBertForm form, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var g = new ZooGraph(name, form.Opset, form.ConstantNodes);
        g.Input("input_ids", DataType.Int64, "batch", "sequence");
        g.Input("attention_mask", DataType.Int64, "batch", "sequence");
        g.Input("token_type_ids", DataType.Int64, "batch", "sequence");
        g.Output("last_hidden_state", DataType.Float, "batch", "sequence", Hidden);

        // Embeddings, with the position ids sliced from a buffer the way PyTorch exports them.
        var words = g.Node("Gather", "/embeddings/word_embeddings/Gather", [g.Weight("embeddings.word_embeddings.weight", [Vocabulary, Hidden], random.NextArray(Vocabulary * Hidden, 0.5f)), "input_ids"]);
        var types = g.Node("Gather", "/embeddings/token_type_embeddings/Gather", [g.Weight("embeddings.token_type_embeddings.weight", [2, Hidden], random.NextArray(2 * Hidden, 0.5f)), "token_type_ids"]);
        string embedded;
        if (form.Opset < 10)
        {
            // Before opset 10 Slice takes constant starts and ends (attributes), so a sequence-length slice of the
            // position buffer cannot be written; this form has word and token-type embeddings only.
            embedded = g.Node("Add", "/embeddings/Add", [words, types]);
        }
        else
        {
            embedded = PositionEmbedded(g, words, types, random);
        }

        var x = LayerNorm(g, form, "/embeddings/LayerNorm", embedded, random);

        var mask = ExtendedMask(g, form.Mask);
        for (var layer = 0; layer < form.Layers; layer++)
        {
            x = Layer(g, form, $"/encoder/layer.{layer}", x, mask, random);
        }

        // The last layer norm's output is the graph output.
        var last = x;
        g.Node("Identity", "last_hidden_state", [last]);
        return g.ToModel($"Zoo encoder: opset {form.Opset}, mask {form.Mask}, GELU {form.Gelu}, layer norm {form.LayerNorm}, {(form.ConstantNodes ? "Constant nodes" : "initializers")} for constants.");
    }

    /// <summary>Adds word, token-type and position embeddings, the position ids sliced to the sequence length from a buffer.</summary>
    private static string PositionEmbedded(ZooGraph g, string words, string types, DeterministicRandom random)
    {
        var shape = g.Node("Shape", "/embeddings/Shape", ["input_ids"]);
        var length = g.Node("Gather", "/embeddings/Gather", [shape, IndexScalar(g, "/embeddings/Constant_index", 1)], ZooGraph.Int("axis", 0));
        var length1 = g.Unsqueeze("/embeddings/Unsqueeze", length, 0);
        var buffer = PositionBuffer(g);
        var positionIds = g.Node("Slice", "/embeddings/Slice", [buffer, g.Ints("/embeddings/Constant_start", 0), length1, g.Ints("/embeddings/Constant_axis", 1)]);
        var positions = g.Node("Gather", "/embeddings/position_embeddings/Gather", [g.Weight("embeddings.position_embeddings.weight", [Positions, Hidden], random.NextArray(Positions * Hidden, 0.5f)), positionIds]);
        var sum = g.Node("Add", "/embeddings/Add", [words, types]);
        return g.Node("Add", "/embeddings/Add_1", [sum, positions]);
    }

    private static string IndexScalar(ZooGraph g, string name, long value)
    {
        // A scalar int64 index, as Gather(Shape(x), i) uses it.
        var tensor = TensorData.FromInt64(name, [], [value]);
        return g.Node("Constant", name, [], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
    }

    private static string PositionBuffer(ZooGraph g)
    {
        var ids = new long[Positions];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = i;
        }

        var tensor = TensorData.FromInt64("embeddings.position_ids", [1, Positions], ids);
        return g.Node("Constant", "embeddings.position_ids", [], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
    }

    private static string ExtendedMask(ZooGraph g, ZooMask style)
    {
        var m1 = g.Unsqueeze("/Unsqueeze", "attention_mask", 1);
        var m2 = g.Unsqueeze("/Unsqueeze_1", m1, 2);
        var asFloat = g.Node("Cast", "/Cast", [m2], ZooGraph.Int("to", (long)DataType.Float));
        var inverted = g.Node("Sub", "/Sub", [g.Scalar("/Constant_one", 1f), asFloat]);
        return style switch
        {
            ZooMask.PyTorch1 => g.Node("Mul", "/Mul", [inverted, g.Scalar("/Constant_min", -10000f)]),
            ZooMask.PyTorch2 => g.Node("Mul", "/Mul", [inverted, g.Scalar("/Constant_min", float.MinValue)]),
            _ => g.Node("Where", "/Where", [g.Node("Cast", "/Cast_1", [inverted], ZooGraph.Int("to", (long)DataType.Bool)), g.Scalar("/Constant_min", float.MinValue), inverted]),
        };
    }

    private static string Layer(ZooGraph g, ZooBertForm form, string p, string x, string mask, DeterministicRandom random)
    {
        var q = Heads4(g, form, $"{p}/attention/self/query", x, [0, 2, 1, 3], random);
        var k = Heads4(g, form, $"{p}/attention/self/key", x, [0, 2, 3, 1], random);
        var v = Heads4(g, form, $"{p}/attention/self/value", x, [0, 2, 1, 3], random);
        var scores = g.Node("MatMul", $"{p}/attention/self/MatMul", [q, k]);
        var scaled = g.Node("Div", $"{p}/attention/self/Div", [scores, g.Scalar($"{p}/attention/self/Constant_scale", MathF.Sqrt(HeadSize))]);
        var masked = g.Node("Add", $"{p}/attention/self/Add", [scaled, mask]);
        var probs = g.Softmax($"{p}/attention/self/Softmax", masked);
        var context = g.Node("MatMul", $"{p}/attention/self/MatMul_1", [probs, v]);
        var merged = g.Node("Transpose", $"{p}/attention/self/Transpose_3", [context], ZooGraph.IntList("perm", 0, 2, 1, 3));
        var flat = g.Node("Reshape", $"{p}/attention/self/Reshape_3", [merged, ReshapeTarget(g, form, $"{p}/attention/self/merge", x, Hidden)]);
        var projected = Dense(g, $"{p}/attention/output/dense", flat, Hidden, Hidden, random);
        var residual = g.Node("Add", $"{p}/attention/output/Add", [projected, x]);
        var attended = LayerNorm(g, form, $"{p}/attention/output/LayerNorm", residual, random);

        var up = Dense(g, $"{p}/intermediate/dense", attended, Hidden, Ffn, random);
        var activated = Gelu(g, form.Gelu, $"{p}/intermediate/intermediate_act_fn", up);
        var down = Dense(g, $"{p}/output/dense", activated, Ffn, Hidden, random);
        var residual2 = g.Node("Add", $"{p}/output/Add", [down, attended]);
        return LayerNorm(g, form, $"{p}/output/LayerNorm", residual2, random);
    }

    private static string Dense(ZooGraph g, string p, string x, int inputs, int outputs, DeterministicRandom random)
    {
        var scale = 1f / MathF.Sqrt(inputs);
        var weight = g.Weight(p.TrimStart('/').Replace('/', '.') + ".weight", [inputs, outputs], random.NextArray(inputs * outputs, scale * 1.7f));
        var bias = g.Weight(p.TrimStart('/').Replace('/', '.') + ".bias", [outputs], random.NextArray(outputs, 0.1f));
        var product = g.Node("MatMul", $"{p}/MatMul", [x, weight]);

        // PyTorch writes the bias first.
        return g.Node("Add", $"{p}/Add", [bias, product]);
    }

    private static string Heads4(ZooGraph g, ZooBertForm form, string p, string x, long[] perm, DeterministicRandom random)
    {
        var projected = Dense(g, p, x, Hidden, Hidden, random);
        var split = g.Node("Reshape", $"{p}/Reshape", [projected, ReshapeTarget(g, form, p, x, Heads, HeadSize)]);
        return g.Node("Transpose", $"{p}/Transpose", [split], ZooGraph.IntList("perm", perm));
    }

    /// <summary>A Reshape target <c>[batch, sequence, dims...]</c>: a constant with 0s, or (PyTorch 1.x) a Concat of Shape parts.</summary>
    private static string ReshapeTarget(ZooGraph g, ZooBertForm form, string p, string like, params long[] trailing)
    {
        if (!form.DynamicReshape)
        {
            return g.Ints($"{p}/Constant_shape", [0, 0, .. trailing]);
        }

        var shape = g.Node("Shape", $"{p}/Shape", [like]);
        var batch = g.Unsqueeze($"{p}/Unsqueeze_batch", g.Node("Gather", $"{p}/Gather_batch", [shape, IndexScalar(g, $"{p}/Constant_0", 0)], ZooGraph.Int("axis", 0)), 0);
        var sequence = g.Unsqueeze($"{p}/Unsqueeze_sequence", g.Node("Gather", $"{p}/Gather_sequence", [shape, IndexScalar(g, $"{p}/Constant_1", 1)], ZooGraph.Int("axis", 0)), 0);
        var parts = new List<string> { batch, sequence };
        for (var i = 0; i < trailing.Length; i++)
        {
            parts.Add(g.Ints($"{p}/Constant_dim{i}", trailing[i]));
        }

        return g.Node("Concat", $"{p}/Concat", [.. parts], ZooGraph.Int("axis", 0));
    }

    private static string LayerNorm(ZooGraph g, ZooBertForm form, string p, string x, DeterministicRandom random)
    {
        var gammaValues = new float[Hidden];
        var gammaNoise = random.NextArray(Hidden, 0.2f);
        for (var i = 0; i < Hidden; i++)
        {
            gammaValues[i] = 1f + gammaNoise[i];
        }

        var gamma = g.Weight(p.TrimStart('/').Replace('/', '.') + ".weight", [Hidden], gammaValues);
        var beta = g.Weight(p.TrimStart('/').Replace('/', '.') + ".bias", [Hidden], random.NextArray(Hidden, 0.1f));
        if (form.LayerNorm == ZooLayerNorm.Onnx17)
        {
            return g.Node("LayerNormalization", $"{p}/LayerNormalization", [x, gamma, beta], ZooGraph.Int("axis", -1), ZooGraph.Float("epsilon", 1e-12f));
        }

        var mean = g.ReduceMean($"{p}/ReduceMean", x, -1);
        var centered = g.Node("Sub", $"{p}/Sub", [x, mean]);
        var squared = g.Node("Pow", $"{p}/Pow", [centered, g.Scalar($"{p}/Constant_two", 2f)]);
        var variance = g.ReduceMean($"{p}/ReduceMean_1", squared, -1);
        var shifted = g.Node("Add", $"{p}/Add", [variance, g.Scalar($"{p}/Constant_epsilon", 1e-12f)]);
        var deviation = g.Node("Sqrt", $"{p}/Sqrt", [shifted]);
        var normalized = g.Node("Div", $"{p}/Div", [centered, deviation]);
        var scaled = g.Node("Mul", $"{p}/Mul", [normalized, gamma]);
        return g.Node("Add", $"{p}/Add_1", [scaled, beta]);
    }

    private static string Gelu(ZooGraph g, ZooGelu form, string p, string x)
    {
        switch (form)
        {
            case ZooGelu.Onnx20:
                return g.Node("Gelu", $"{p}/Gelu", [x]);
            case ZooGelu.Tanh:
                {
                    var halfX = g.Node("Mul", $"{p}/Mul", [g.Scalar($"{p}/Constant_half", 0.5f), x]);
                    var cubed = g.Node("Pow", $"{p}/Pow", [x, g.Scalar($"{p}/Constant_three", 3f)]);
                    var term = g.Node("Mul", $"{p}/Mul_1", [g.Scalar($"{p}/Constant_coefficient", 0.044715f), cubed]);
                    var inner = g.Node("Add", $"{p}/Add", [x, term]);
                    var scaled = g.Node("Mul", $"{p}/Mul_2", [g.Scalar($"{p}/Constant_sqrt_2_over_pi", 0.7978845608f), inner]);
                    var tanh = g.Node("Tanh", $"{p}/Tanh", [scaled]);
                    var onePlus = g.Node("Add", $"{p}/Add_1", [g.Scalar($"{p}/Constant_one", 1f), tanh]);
                    return g.Node("Mul", $"{p}/Mul_3", [halfX, onePlus]);
                }

            default:
                {
                    var halfX = g.Node("Mul", $"{p}/Mul", [x, g.Scalar($"{p}/Constant_half", 0.5f)]);
                    var scaled = g.Node("Div", $"{p}/Div", [x, g.Scalar($"{p}/Constant_sqrt2", 1.4142135f)]);
                    var erf = g.Node("Erf", $"{p}/Erf", [scaled]);
                    var onePlus = g.Node("Add", $"{p}/Add", [erf, g.Scalar($"{p}/Constant_one", 1f)]);
                    return g.Node("Mul", $"{p}/Mul_1", [halfX, onePlus]);
                }
        }
    }
}
