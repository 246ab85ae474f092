namespace MLNetInference.Optimizers;

/// <summary>Thrown when an optimization pass fails; names the pass, so that a search can skip the configuration and go on.</summary>
public sealed class PassFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="passName">The failing pass.</param>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PassFailedException(string passName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        PassName = passName;
    }

    /// <summary>Gets the failing pass's name.</summary>
    public string PassName { get; }
}
