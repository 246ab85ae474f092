using Microsoft.ML.Transforms;

namespace MLNetInference.Pipeline.Text;

/// <summary>
/// The stock ML.NET factory for the <c>CustomMapping</c> stage saved in place of a
/// <see cref="BertTokenizationTransformer"/>. The stage has no vocabulary, so running it throws.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class BertTokenizationStockFactory : CustomMappingFactory<BertTokenizationStockInput, BertTokenizationStockOutput>
{
    /// <summary>The contract name written into saved models.</summary>
    public const string ContractName = "MLNetInference.BertTokenization";

    /// <summary>Throws: stock ML.NET cannot tokenize without the vocabulary, which only MLNetInference's loader restores.</summary>
    /// <param name="input">The input row.</param>
    /// <param name="output">The output row.</param>
    /// <exception cref="InvalidOperationException">Always.</exception>
    public static void Map(BertTokenizationStockInput input, BertTokenizationStockOutput output)
        => throw new InvalidOperationException(
            "This model's BERT tokenization stage was loaded with stock mlContext.Model.Load, which cannot restore its vocabulary. " +
            "Load the model with MLNetInference's model loader instead.");

    /// <inheritdoc/>
    public override Action<BertTokenizationStockInput, BertTokenizationStockOutput> GetMapping() => Map;
}
