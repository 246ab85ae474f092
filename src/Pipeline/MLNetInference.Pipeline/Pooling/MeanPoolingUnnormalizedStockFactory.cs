using Microsoft.ML.Transforms;

namespace MLNetInference.Pipeline.Pooling;

/// <summary>The stock ML.NET factory for the non-normalizing <c>CustomMapping</c> stage saved in place of a <see cref="MeanPoolingTransformer"/>.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class MeanPoolingUnnormalizedStockFactory : CustomMappingFactory<MeanPoolingStockInput, MeanPoolingStockOutput>
{
    /// <summary>The contract name written into saved models.</summary>
    public const string ContractName = "MLNetInference.MeanPooling.Unnormalized";

    /// <summary>Mean-pools one row.</summary>
    /// <param name="input">The input row.</param>
    /// <param name="output">The output row.</param>
    public static void Map(MeanPoolingStockInput input, MeanPoolingStockOutput output) => MeanPoolingStockOutput.Map(input, output, normalize: false);

    /// <inheritdoc/>
    public override Action<MeanPoolingStockInput, MeanPoolingStockOutput> GetMapping() => Map;
}
