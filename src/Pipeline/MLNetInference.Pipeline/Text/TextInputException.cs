namespace MLNetInference.Pipeline.Text;

/// <summary>
/// The text in an input column cannot be tokenized: it is empty or whitespace, or it is longer than the
/// maximum length while overflow is set to throw.
/// </summary>
public sealed class TextInputException : ArgumentException
{
    /// <summary>Creates an exception for the text of <paramref name="columnName"/>.</summary>
    /// <param name="columnName">The input column that held the text.</param>
    /// <param name="message">What was wrong and what to do.</param>
    public TextInputException(string columnName, string message)
        : base(message, columnName)
    {
        ColumnName = columnName;
    }

    /// <summary>Creates an exception for the text of <paramref name="columnName"/> with an inner exception.</summary>
    /// <param name="columnName">The input column that held the text.</param>
    /// <param name="message">What was wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public TextInputException(string columnName, string message, Exception innerException)
        : base(message, columnName, innerException)
    {
        ColumnName = columnName;
    }

    /// <summary>The input column that held the text.</summary>
    public string ColumnName { get; }

    /// <summary>The number of tokens the text needs, special tokens included, when it was too long; otherwise <see langword="null"/>.</summary>
    public int? TokenCount { get; init; }
}
