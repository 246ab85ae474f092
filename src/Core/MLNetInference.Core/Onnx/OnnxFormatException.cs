namespace MLNetInference.Core.Onnx;

/// <summary>
/// Thrown when a file or byte buffer is not a well-formed ONNX model, or refers to data it may not read.
/// </summary>
public sealed class OnnxFormatException : Exception
{
    /// <summary>Creates the exception with a message that says what was wrong.</summary>
    /// <param name="message">What was wrong and what to do about it.</param>
    public OnnxFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    /// <param name="message">What was wrong and what to do about it.</param>
    /// <param name="innerException">The underlying parse or I/O error.</param>
    public OnnxFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
