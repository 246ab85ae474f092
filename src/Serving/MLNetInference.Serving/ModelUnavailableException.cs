namespace MLNetInference.Serving;

/// <summary>Thrown when a model is not loaded, failed to load, or its pool is shutting down.</summary>
public sealed class ModelUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="modelName">The model the request was for.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ModelUnavailableException(string modelName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ModelName = modelName;
    }

    /// <summary>Gets the model the request was for.</summary>
    public string ModelName { get; }
}
