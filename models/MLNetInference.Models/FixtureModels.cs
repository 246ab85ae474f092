using MLNetInference.Models.Internal;
using MLNetInference.Core.Onnx;
using DataType = MLNetInference.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace MLNetInference.Models;

/// <summary>
/// Tiny ONNX models built by our own code (IR version 8, opset 17, seeded weights), for fast unit tests that need no
/// download. The same call always gives the same bytes.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><description><see cref="TinyTextEncoder"/>: a text encoder shaped like MiniLM, with dynamic batch and sequence.</description></item>
/// <item><description><see cref="TinyFixedBatchImage"/>: an image featurizer whose batch is fixed at 1, but whose graph is batch-safe.</description></item>
/// <item><description><see cref="TinyFixedBatchUnsafe"/>: a model whose batch of 1 is pinned by a Reshape constant.</description></item>
/// <item><description><see cref="SmallMlp"/>: a small model where the per-call cost dominates.</description></item>
/// </list>
/// </remarks>
public static class FixtureModels
{
    /// <summary>The name of <see cref="TinyTextEncoder"/>, also its file name without <c>.onnx</c>.</summary>
    public const string TinyTextEncoderName = "tiny-text-encoder";

    /// <summary>The name of <see cref="TinyFixedBatchImage"/>, also its file name without <c>.onnx</c>.</summary>
    public const string TinyFixedBatchImageName = "tiny-fixed-batch-image";

    /// <summary>The name of <see cref="TinyFixedBatchUnsafe"/>, also its file name without <c>.onnx</c>.</summary>
    public const string TinyFixedBatchUnsafeName = "tiny-fixed-batch-unsafe";

    /// <summary>The name of <see cref="SmallMlp"/>, also its file name without <c>.onnx</c>.</summary>
    public const string SmallMlpName = "small-mlp";

    /// <summary>The number of token ids <see cref="TinyTextEncoder"/> knows: ids lie in [0, 1000).</summary>
    public const int TextEncoderVocabularySize = 1000;

    /// <summary>The width of <see cref="TinyTextEncoder"/>'s hidden states.</summary>
    public const int TextEncoderHiddenSize = 8;

    /// <summary>The width of <see cref="SmallMlp"/>'s input.</summary>
    public const int SmallMlpInputSize = 32;

    /// <summary>The width of <see cref="SmallMlp"/>'s hidden layer.</summary>
    public const int SmallMlpHiddenSize = 64;

    /// <summary>The width of <see cref="SmallMlp"/>'s output.</summary>
    public const int SmallMlpOutputSize = 4;

    /// <summary>Gets the names of all fixture models.</summary>
    public static IReadOnlyList<string> Names { get; } = [TinyTextEncoderName, TinyFixedBatchImageName, TinyFixedBatchUnsafeName, SmallMlpName];

    /// <summary>
    /// Builds a text encoder. Inputs <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c>: int64
    /// [batch, sequence]. Outputs <c>last_hidden_state</c>: float [batch, sequence, 8], and <c>pooled</c>: float [batch, 8].
    /// </summary>
    /// <returns>The serialized model.</returns>
    /// <remarks>
    /// With <c>m</c> the attention mask as float and <c>e[i] = (word_emb[input_ids[i]] + type_emb[token_type_ids[i]]) * m[i]</c>
    /// (initializers <c>word_emb</c> [1000, 8] and <c>type_emb</c> [2, 8]), the model computes
    /// <c>last_hidden_state[i] = (e[i] + 0.5 * Σ_j e[j]) * m[i]</c>, so that every position sees every other one and an
    /// unmasked padding token would change the result, and <c>pooled = Σ_i last_hidden_state[i]</c>. Positions whose mask
    /// is 0 therefore change neither output.
    /// </remarks>
    public static byte[] TinyTextEncoder()
    {
        const int hidden = TextEncoderHiddenSize;
        var random = new DeterministicRandom(seed: 1);
        var graph = new OnnxGraphBuilder("tiny_text_encoder");
        graph.AddInput("input_ids", DataType.Int64, "batch", "sequence");
        graph.AddInput("attention_mask", DataType.Int64, "batch", "sequence");
        graph.AddInput("token_type_ids", DataType.Int64, "batch", "sequence");

        var wordEmbedding = graph.AddFloat("word_emb", [TextEncoderVocabularySize, hidden], random.NextArray(TextEncoderVocabularySize * hidden, 1f));
        var typeEmbedding = graph.AddFloat("type_emb", [2, hidden], random.NextArray(2 * hidden, 1f));
        var half = graph.AddFloat("half", [1], [0.5f]);
        var lastAxis = graph.AddInt64("axis_last", -1);
        var sequenceAxis = graph.AddInt64("axis_sequence", 1);

        var words = graph.AddNode("Gather", "word_vectors", [wordEmbedding, "input_ids"], OnnxGraphBuilder.Int("axis", 0));
        var types = graph.AddNode("Gather", "type_vectors", [typeEmbedding, "token_type_ids"], OnnxGraphBuilder.Int("axis", 0));
        var embedded = graph.AddNode("Add", "embedded", [words, types]);
        var maskFloat = graph.AddNode("Cast", "mask_float", ["attention_mask"], OnnxGraphBuilder.Int("to", (long)DataType.Float));
        var mask = graph.AddNode("Unsqueeze", "mask_3d", [maskFloat, lastAxis]);
        var masked = graph.AddNode("Mul", "masked", [embedded, mask]);
        var context = graph.AddNode("ReduceSum", "context", [masked, sequenceAxis], OnnxGraphBuilder.Int("keepdims", 1));
        var halfContext = graph.AddNode("Mul", "half_context", [context, half]);
        var mixed = graph.AddNode("Add", "mixed", [masked, halfContext]);
        var lastHiddenState = graph.AddNode("Mul", "last_hidden_state", [mixed, mask]);
        graph.AddNode("ReduceSum", "pooled", [lastHiddenState, sequenceAxis], OnnxGraphBuilder.Int("keepdims", 0));

        graph.AddOutput("last_hidden_state", DataType.Float, "batch", "sequence", (long)hidden);
        graph.AddOutput("pooled", DataType.Float, "batch", (long)hidden);
        return OnnxModelIO.ToBytes(graph.ToModel("Tiny masked text encoder with dynamic batch and sequence."));
    }

    /// <summary>
    /// Builds an image featurizer. Input <c>image</c>: float [1, 3, 8, 8]. Output <c>features</c>: float [1, 4].
    /// </summary>
    /// <returns>The serialized model.</returns>
    /// <remarks>
    /// Conv (initializers <c>conv_w</c> [4, 3, 3, 3] and <c>conv_b</c> [4], pads 1) → Relu → GlobalAveragePool → Flatten(axis 1).
    /// The declared batch is 1, but no node depends on it: the graph gives the right answer at any batch.
    /// </remarks>
    public static byte[] TinyFixedBatchImage()
    {
        var random = new DeterministicRandom(seed: 2);
        var graph = new OnnxGraphBuilder("tiny_fixed_batch_image");
        graph.AddInput("image", DataType.Float, 1L, 3L, 8L, 8L);
        var weights = graph.AddFloat("conv_w", [4, 3, 3, 3], random.NextArray(4 * 3 * 3 * 3, 0.5f));
        var bias = graph.AddFloat("conv_b", [4], random.NextArray(4, 0.5f));

        var conv = graph.AddNode(
            "Conv",
            "conv",
            ["image", weights, bias],
            OnnxGraphBuilder.Ints("kernel_shape", 3, 3),
            OnnxGraphBuilder.Ints("pads", 1, 1, 1, 1),
            OnnxGraphBuilder.Ints("strides", 1, 1));
        var relu = graph.AddNode("Relu", "relu", [conv]);
        var pooled = graph.AddNode("GlobalAveragePool", "pool", [relu]);
        graph.AddNode("Flatten", "features", [pooled], OnnxGraphBuilder.Int("axis", 1));

        graph.AddOutput("features", DataType.Float, 1L, 4L);
        return OnnxModelIO.ToBytes(graph.ToModel("Tiny image featurizer: batch fixed at 1, graph batch-safe."));
    }

    /// <summary>
    /// Builds a model whose batch is pinned by a constant. Input <c>x</c>: float [1, 6]. Output <c>y</c>: float [1, 2],
    /// with <c>y = [x0 + x1 + x2, x3 + x4 + x5]</c>.
    /// </summary>
    /// <returns>The serialized model.</returns>
    /// <remarks>
    /// Reshape to the constant shape [1, 2, 3] → ReduceSum(axes [2], keepdims 0). Because the Reshape constant holds the
    /// batch size, the graph gives a wrong shape or fails if the batch dimension is simply made dynamic.
    /// </remarks>
    public static byte[] TinyFixedBatchUnsafe()
    {
        var graph = new OnnxGraphBuilder("tiny_fixed_batch_unsafe");
        graph.AddInput("x", DataType.Float, 1L, 6L);
        var shape = graph.AddInt64("reshape_shape", 1, 2, 3);
        var axes = graph.AddInt64("reduce_axes", 2);

        var reshaped = graph.AddNode("Reshape", "reshaped", ["x", shape]);
        graph.AddNode("ReduceSum", "y", [reshaped, axes], OnnxGraphBuilder.Int("keepdims", 0));

        graph.AddOutput("y", DataType.Float, 1L, 2L);
        return OnnxModelIO.ToBytes(graph.ToModel("Tiny model whose batch of 1 is pinned by a Reshape constant."));
    }

    /// <summary>
    /// Builds a two-layer perceptron. Input <c>features</c>: float [batch, 32]. Output <c>scores</c>: float [batch, 4].
    /// </summary>
    /// <returns>The serialized model.</returns>
    /// <remarks>
    /// <c>scores = Relu(features × w1 + b1) × w2 + b2</c>, with initializers <c>w1</c> [32, 64], <c>b1</c> [64],
    /// <c>w2</c> [64, 4] and <c>b2</c> [4].
    /// </remarks>
    public static byte[] SmallMlp()
    {
        var random = new DeterministicRandom(seed: 4);
        var graph = new OnnxGraphBuilder("small_mlp");
        graph.AddInput("features", DataType.Float, "batch", (long)SmallMlpInputSize);
        var w1 = graph.AddFloat("w1", [SmallMlpInputSize, SmallMlpHiddenSize], random.NextArray(SmallMlpInputSize * SmallMlpHiddenSize, 0.25f));
        var b1 = graph.AddFloat("b1", [SmallMlpHiddenSize], random.NextArray(SmallMlpHiddenSize, 0.1f));
        var w2 = graph.AddFloat("w2", [SmallMlpHiddenSize, SmallMlpOutputSize], random.NextArray(SmallMlpHiddenSize * SmallMlpOutputSize, 0.25f));
        var b2 = graph.AddFloat("b2", [SmallMlpOutputSize], random.NextArray(SmallMlpOutputSize, 0.1f));

        var hidden = graph.AddNode("MatMul", "hidden_matmul", ["features", w1]);
        hidden = graph.AddNode("Add", "hidden_add", [hidden, b1]);
        hidden = graph.AddNode("Relu", "hidden_relu", [hidden]);
        var scores = graph.AddNode("MatMul", "scores_matmul", [hidden, w2]);
        graph.AddNode("Add", "scores", [scores, b2]);

        graph.AddOutput("scores", DataType.Float, "batch", (long)SmallMlpOutputSize);
        return OnnxModelIO.ToBytes(graph.ToModel("Small MLP where the per-call cost dominates."));
    }

    /// <summary>Builds the fixture model of the given name.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>The serialized model.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a fixture model's name.</exception>
    public static byte[] Create(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return name switch
        {
            TinyTextEncoderName => TinyTextEncoder(),
            TinyFixedBatchImageName => TinyFixedBatchImage(),
            TinyFixedBatchUnsafeName => TinyFixedBatchUnsafe(),
            SmallMlpName => SmallMlp(),
            _ => throw new ArgumentException($"'{name}' is not a fixture model; use one of: {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>
    /// Returns the path of the fixture model's file under <c>models/cache/fixtures</c>, writing it first when it is
    /// missing or stale.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>The full path of <c>{name}.onnx</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a fixture model's name.</exception>
    public static string EnsureFile(string name)
    {
        var bytes = Create(name);
        return ModelCache.EnsureContent(Path.Combine("fixtures", name + ".onnx"), bytes);
    }

    /// <summary>Writes every fixture model to <c>{name}.onnx</c> in <paramref name="folder"/>, creating the folder if needed.</summary>
    /// <param name="folder">The destination folder.</param>
    /// <returns>The full paths of the files written, in the order of <see cref="Names"/>.</returns>
    public static IReadOnlyList<string> WriteTo(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var paths = new List<string>(Names.Count);
        foreach (var name in Names)
        {
            var path = Path.GetFullPath(Path.Combine(folder, name + ".onnx"));
            File.WriteAllBytes(path, Create(name));
            paths.Add(path);
        }

        return paths;
    }
}
