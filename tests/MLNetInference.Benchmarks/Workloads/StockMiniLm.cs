using Microsoft.ML;
using Microsoft.ML.Transforms.Onnx;
using MLNetInference.Models;
using MLNetInference.Pipeline.Pooling;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Pipeline.Text;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// The stock ML.NET way to embed text with MiniLM, the baseline of the estimator and P1 workloads: our tokenizer,
/// tokens padded to 128 in a CustomMapping, <c>ApplyOnnxModel</c> with the sequence pinned to 128 (it throws on
/// MiniLM otherwise), then mean pooling and normalization into an <c>embedding</c> column.
/// </summary>
internal static class StockMiniLm
{
    /// <summary>Builds the estimator over a <see cref="TextRow"/> input.</summary>
    public static IEstimator<ITransformer> Build(MLContext ml)
    {
        var tokenizer = new BertTokenizationOptions
        {
            InputColumnName = nameof(TextRow.Text),
            VocabPath = ModelPaths.MiniLmVocab,
            MaxLength = PaddedTokens.Length,
            InputIdsColumnName = "ids",
            AttentionMaskColumnName = "mask",
            TokenTypeIdsColumnName = "types",
        };
        string[] inputs = ["input_ids", "attention_mask", "token_type_ids"];
        var onnx = new OnnxOptions
        {
            ModelFile = ModelPaths.MiniLmModel,
            InputColumns = inputs,
            OutputColumns = ["last_hidden_state"],
            ShapeDictionary = inputs.ToDictionary(n => n, _ => new[] { 1, PaddedTokens.Length }),
        };
        return ml.Transforms.TokenizeForBert(tokenizer)
            .Append(ml.Transforms.CustomMapping<TokenizedRow, PaddedTokens>(PaddedTokens.Pad, contractName: null))
            .Append(ml.Transforms.ApplyOnnxModel(onnx))
            .Append(ml.Transforms.MeanPoolAndNormalize(new MeanPoolingOptions { HiddenSize = 384 }));
    }
}
