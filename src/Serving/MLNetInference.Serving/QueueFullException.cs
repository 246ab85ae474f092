namespace MLNetInference.Serving;

/// <summary>Thrown when the model's queue is full: the request was rejected at once; retry later or raise MaxQueueLength.</summary>
public sealed class QueueFullException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="modelName">The model the request was for.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public QueueFullException(string modelName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ModelName = modelName;
    }

    /// <summary>Gets the model the request was for.</summary>
    public string ModelName { get; }
}
