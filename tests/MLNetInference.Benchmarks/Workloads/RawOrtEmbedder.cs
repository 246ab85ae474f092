using Microsoft.ML.OnnxRuntime;
using MLNetInference.Pipeline.Text.Internal;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// The hand-written ONNX Runtime service of P1 (b): one shared <see cref="InferenceSession"/> with ONNX Runtime's
/// default options, and per request our tokenizer (the same as every other variant), one <c>Run</c> on [1, exact
/// length] tensors, then mean pooling and normalization by hand.
/// </summary>
internal sealed class RawOrtEmbedder : IDisposable
{
    private const int MaxLength = 128;
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state"];

    private readonly InferenceSession _session;
    private readonly WordPieceVocabulary _vocabulary;
    private readonly ThreadLocal<BertTextTokenizer> _tokenizers;
    private readonly RunOptions _runOptions = new();

    public RawOrtEmbedder(string modelPath, string vocabPath, SessionOptions? options = null)
    {
        _session = options is null ? new InferenceSession(modelPath) : new InferenceSession(modelPath, options);
        _vocabulary = WordPieceVocabulary.Parse(File.ReadAllBytes(vocabPath));
        _tokenizers = new ThreadLocal<BertTextTokenizer>(() => new BertTextTokenizer(_vocabulary, lowerCase: true));
    }

    /// <summary>Tokenizes <paramref name="text"/> into [CLS] ids [SEP], at most 128 tokens.</summary>
    public long[] Tokenize(string text)
    {
        var buffer = new long[MaxLength];
        var count = Math.Min(_tokenizers.Value!.Tokenize(text, buffer, 1, MaxLength - 2, countAll: false), MaxLength - 2);
        buffer[0] = _vocabulary.ClassificationTokenId;
        buffer[count + 1] = _vocabulary.SeparatorTokenId;
        return buffer[..(count + 2)];
    }

    public float[] Embed(string text)
    {
        var ids = Tokenize(text);
        var length = ids.Length;
        var mask = new long[length];
        Array.Fill(mask, 1L);
        var types = new long[length];
        long[] shape = [1, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var outputs = _session.Run(_runOptions, InputNames, [idsValue, maskValue, typesValue], OutputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        var width = hidden.Length / length;
        var embedding = new float[width];
        for (var t = 0; t < length; t++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(embedding, hidden.Slice(t * width, width), embedding);
        }

        var norm = System.Numerics.Tensors.TensorPrimitives.Norm<float>(embedding);
        System.Numerics.Tensors.TensorPrimitives.Divide(embedding, norm, embedding);
        return embedding;
    }

    /// <summary>Runs the model on pre-tokenized ids at their exact length, without pooling: the ceiling's unit of work.</summary>
    public void RunTokens(long[] ids)
    {
        var length = ids.Length;
        var mask = new long[length];
        Array.Fill(mask, 1L);
        RunTokens(ids, mask, new long[length]);
    }

    /// <summary>Runs the model on one pre-tokenized row whose three inputs are already built.</summary>
    public void RunTokens(long[] ids, long[] mask, long[] types)
    {
        long[] shape = [1, ids.Length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var outputs = _session.Run(_runOptions, InputNames, [idsValue, maskValue, typesValue], OutputNames);
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _tokenizers.Dispose();
        _session.Dispose();
    }
}
