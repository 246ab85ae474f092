namespace MLNetInference.Tuning;

/// <summary>A tuning run could not produce any configuration; the message says why and what to change.</summary>
public sealed class TuningException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    public TuningException()
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public TuningException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TuningException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
