using MLNetInference.Core.Onnx.Proto;
using DataType = MLNetInference.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace MLNetInference.Models.Internal;

/// <summary>The zoo's small CNN (ResNet-style) and its float16 MLP.</summary>
internal static class ZooVision
{
    public const int Channels = 8;
    public const int Classes = 10;
    public const int ImageSize = 16;
    public const int MlpInput = 16;
    public const int MlpHidden = 32;
    public const int MlpOutput = 8;

    /// <summary>
    /// A stem Conv → BatchNormalization → Relu → MaxPool, one residual block (Conv → BN → Relu → Conv → BN, Add, Relu),
    /// global average pooling and a Gemm classifier. Before opset 9 BatchNormalization carries <c>spatial</c> (as
    /// ResNet18's converter wrote it); from opset 13 the model also has a <c>Pad</c> with its pads as an input, a
    /// <c>Clip</c> with min/max inputs (ReLU6), a <c>Squeeze</c> with axes as an input and an inference-mode
    /// <c>Dropout</c>; at opset 8 a <c>Dropout</c> with its ratio attribute and <c>Flatten</c>.
    /// </summary>
    public static ModelProto Cnn(string name, long opset, bool constantNodes, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var g = new ZooGraph(name, opset, constantNodes);
        g.Input("data", DataType.Float, "batch", 3, ImageSize, ImageSize);
        g.Output("logits", DataType.Float, "batch", Classes);

        var x = "data";
        if (opset >= 13)
        {
            x = g.Node("Pad", "pad", [x, g.Ints("pad_pads", 0, 0, 1, 1, 0, 0, 1, 1)]);
            x = Conv(g, random, "stem", x, 3, Channels, pads: 0);
        }
        else
        {
            x = Conv(g, random, "stem", x, 3, Channels, pads: 1);
        }

        x = BatchNorm(g, random, "stem_bn", x, opset);
        x = opset >= 13 ? g.Clip("stem_relu6", x, 0f, 6f) : g.Node("Relu", "stem_relu", [x]);
        x = g.Node("MaxPool", "pool", [x], ZooGraph.IntList("kernel_shape", 2, 2), ZooGraph.IntList("strides", 2, 2));

        var skip = x;
        var y = Conv(g, random, "block_conv1", x, Channels, Channels, pads: 1);
        y = BatchNorm(g, random, "block_bn1", y, opset);
        y = g.Node("Relu", "block_relu1", [y]);
        y = Conv(g, random, "block_conv2", y, Channels, Channels, pads: 1);
        y = BatchNorm(g, random, "block_bn2", y, opset);
        y = g.Node("Add", "block_add", [y, skip]);
        y = g.Node("Relu", "block_relu2", [y]);
        var pooled = g.Node("GlobalAveragePool", "gap", [y]);
        string flat;
        if (opset >= 13)
        {
            flat = g.Node("Squeeze", "squeeze", [pooled, g.Ints("squeeze_axes", 2, 3)]);
            flat = g.Node("Dropout", "dropout", [flat]);
        }
        else
        {
            flat = g.Node("Flatten", "flatten", [pooled], ZooGraph.Int("axis", 1));
            flat = g.Node("Dropout", "dropout", [flat], ZooGraph.Float("ratio", 0.1f));
        }

        var weight = g.Weight("fc.weight", [Classes, Channels], random.NextArray(Classes * Channels, 0.5f));
        var bias = g.Weight("fc.bias", [Classes], random.NextArray(Classes, 0.1f));
        g.Node("Gemm", "logits", [flat, weight, bias], ZooGraph.Float("alpha", 1f), ZooGraph.Float("beta", 1f), ZooGraph.Int("transB", 1));
        return g.ToModel($"Zoo CNN at opset {opset}.");
    }

    /// <summary>A float16 MLP, as <c>model.half()</c> exports it: float16 input, weights, output.</summary>
    public static ModelProto HalfMlp(string name, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var g = new ZooGraph(name, 13, constantNodes: false);
        g.Input("features", DataType.Float16, "batch", MlpInput);
        g.Output("scores", DataType.Float16, "batch", MlpOutput);
        var w1 = g.WeightHalf("fc1.weight", [MlpInput, MlpHidden], random.NextArray(MlpInput * MlpHidden, 0.4f));
        var b1 = g.WeightHalf("fc1.bias", [MlpHidden], random.NextArray(MlpHidden, 0.1f));
        var w2 = g.WeightHalf("fc2.weight", [MlpHidden, MlpOutput], random.NextArray(MlpHidden * MlpOutput, 0.3f));
        var b2 = g.WeightHalf("fc2.bias", [MlpOutput], random.NextArray(MlpOutput, 0.1f));
        var h = g.Node("Add", "fc1_add", [g.Node("MatMul", "fc1_matmul", ["features", w1]), b1]);
        h = g.Node("Relu", "relu", [h]);
        h = g.Node("Add", "fc2_add", [g.Node("MatMul", "fc2_matmul", [h, w2]), b2]);
        g.Node("Tanh", "scores", [h]);
        return g.ToModel("Zoo float16 MLP at opset 13.");
    }

    private static string Conv(ZooGraph g, DeterministicRandom random, string name, string x, int input, int output, int pads)
    {
        var scale = 1f / MathF.Sqrt(input * 9);
        var weight = g.Weight(name + ".weight", [output, input, 3, 3], random.NextArray(output * input * 9, scale * 1.7f));
        var bias = g.Weight(name + ".bias", [output], random.NextArray(output, 0.1f));
        return g.Node("Conv", name, [x, weight, bias], ZooGraph.IntList("kernel_shape", 3, 3), ZooGraph.IntList("pads", pads, pads, pads, pads), ZooGraph.IntList("strides", 1, 1));
    }

    private static string BatchNorm(ZooGraph g, DeterministicRandom random, string name, string x, long opset)
    {
        var scale = new float[Channels];
        var variance = new float[Channels];
        var noise = random.NextArray(2 * Channels, 0.3f);
        for (var i = 0; i < Channels; i++)
        {
            scale[i] = 1f + noise[i];
            variance[i] = 1f + MathF.Abs(noise[Channels + i]);
        }

        string[] inputs =
        [
            x,
            g.Weight(name + ".weight", [Channels], scale),
            g.Weight(name + ".bias", [Channels], random.NextArray(Channels, 0.2f)),
            g.Weight(name + ".running_mean", [Channels], random.NextArray(Channels, 0.2f)),
            g.Weight(name + ".running_var", [Channels], variance),
        ];
        return opset < 9
            ? g.Node("BatchNormalization", name, inputs, ZooGraph.Float("epsilon", 1e-5f), ZooGraph.Float("momentum", 0.9f), ZooGraph.Int("spatial", 1))
            : g.Node("BatchNormalization", name, inputs, ZooGraph.Float("epsilon", 1e-5f), ZooGraph.Float("momentum", 0.9f));
    }
}
