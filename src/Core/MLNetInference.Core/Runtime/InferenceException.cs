namespace MLNetInference.Core.Runtime;

/// <summary>Thrown when ONNX Runtime fails while running a batch that passed validation.</summary>
public sealed class InferenceException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="modelName">The model that failed.</param>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The runtime's error.</param>
    public InferenceException(string modelName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ModelName = modelName;
    }

    /// <summary>Gets the model that failed.</summary>
    public string ModelName { get; }
}
