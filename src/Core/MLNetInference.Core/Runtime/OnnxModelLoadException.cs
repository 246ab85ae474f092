namespace MLNetInference.Core.Runtime;

/// <summary>Thrown when a model cannot be loaded: a missing, corrupt or unsupported file, or an unavailable device.</summary>
public sealed class OnnxModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="modelName">The file or name of the model that failed to load.</param>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public OnnxModelLoadException(string modelName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ModelName = modelName;
    }

    /// <summary>Gets the file or name of the model that failed to load.</summary>
    public string ModelName { get; }
}
