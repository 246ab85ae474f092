namespace MLNetInference.Core;

/// <summary>
/// Thrown when an input row or column does not match what the model expects: a wrong type, a wrong size,
/// a missing value. The message names the model input or the column.
/// </summary>
public sealed class InvalidInputException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="inputName">The model input or data column that was wrong.</param>
    /// <param name="message">What was wrong and what is expected.</param>
    /// <param name="rowIndex">The index of the offending row within its batch, if known.</param>
    public InvalidInputException(string inputName, string message, int rowIndex = -1)
        : base(message, inputName)
    {
        InputName = inputName;
        RowIndex = rowIndex;
    }

    /// <summary>Gets the model input or data column that was wrong.</summary>
    public string InputName { get; }

    /// <summary>Gets the index of the offending row within its batch, or -1 when not tied to one row.</summary>
    public int RowIndex { get; }
}
