using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Text;

/// <summary>The input row of the stock <c>CustomMapping</c> stage that stands in for <see cref="BertTokenizationTransformer"/> in saved models.</summary>
internal sealed class BertTokenizationStockInput
{
    /// <summary>The text; the column name is set to the user's text column when saving.</summary>
    [ColumnName("Text")]
    public string Text { get; set; } = string.Empty;
}
