using MLNetInference.Core.Runtime;
using MLNetInference.Pipeline.Scoring;

namespace Microsoft.ML;

/// <summary>Builds the whole text → sentence-embedding pipeline for a BERT-style encoder in one call.</summary>
public static class SentenceEmbeddingCatalog
{
    /// <summary>
    /// Creates tokenization (<c>TokenizeForBert</c>) → batched ONNX scoring (<c>ScoreOnnxBatched</c>, reading
    /// <c>last_hidden_state</c>) → mean pooling and L2 normalization (<c>MeanPoolAndNormalize</c>).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="inputColumnName">The text column.</param>
    /// <param name="modelPath">The encoder's <c>.onnx</c> file (inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>; output <c>last_hidden_state</c>).</param>
    /// <param name="vocabPath">The WordPiece vocabulary file.</param>
    /// <param name="outputColumnName">The embedding column.</param>
    /// <param name="maxLength">The most tokens per text, [CLS] and [SEP] included; longer text is truncated.</param>
    /// <param name="session">Session settings for the encoder; defaults when <see langword="null"/>.</param>
    /// <param name="recipe">An optimization recipe applied to the encoder at fit time (for example <c>int8-dynamic</c>); none when <see langword="null"/>.</param>
    /// <returns>The estimator chain.</returns>
    public static IEstimator<ITransformer> EmbedSentences(
        this TransformsCatalog catalog,
        string inputColumnName,
        string modelPath,
        string vocabPath,
        string outputColumnName = "embedding",
        int maxLength = 128,
        OnnxSessionOptions? session = null,
        string? recipe = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        var scoring = new OnnxBatchScoringOptions { ModelPath = modelPath, MaxSequenceLength = maxLength, Session = session ?? new OnnxSessionOptions(), Recipe = recipe };
        scoring.OutputColumns["last_hidden_state"] = "last_hidden_state";
        return catalog.TokenizeForBert(inputColumnName, vocabPath, maxLength)
            .Append(catalog.ScoreOnnxBatched(scoring))
            .Append(catalog.MeanPoolAndNormalize(outputColumnName: outputColumnName));
    }
}
