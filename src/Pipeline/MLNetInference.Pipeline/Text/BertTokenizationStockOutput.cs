using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Text;

/// <summary>The output row of the stock <c>CustomMapping</c> stage that stands in for <see cref="BertTokenizationTransformer"/> in saved models.</summary>
internal sealed class BertTokenizationStockOutput
{
    /// <summary>The default name of the token ids column.</summary>
    public const string InputIdsName = "input_ids";

    /// <summary>The default name of the attention mask column.</summary>
    public const string AttentionMaskName = "attention_mask";

    /// <summary>The default name of the token type ids column.</summary>
    public const string TokenTypeIdsName = "token_type_ids";

    /// <summary>The token ids.</summary>
    [ColumnName(InputIdsName)]
    [VectorType]
    public long[] InputIds { get; set; } = [];

    /// <summary>The attention mask.</summary>
    [ColumnName(AttentionMaskName)]
    [VectorType]
    public long[] AttentionMask { get; set; } = [];

    /// <summary>The token type ids.</summary>
    [ColumnName(TokenTypeIdsName)]
    [VectorType]
    public long[] TokenTypeIds { get; set; } = [];
}
