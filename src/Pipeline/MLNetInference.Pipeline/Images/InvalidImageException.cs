namespace MLNetInference.Pipeline.Images;

/// <summary>
/// Thrown when an image file or buffer cannot be decoded as JPEG or PNG, or is too small or too large to preprocess. The
/// message names the image.
/// </summary>
public sealed class InvalidImageException : IOException
{
    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class.</summary>
    /// <param name="imageName">The image's file path, or another name for a buffer.</param>
    /// <param name="message">What was wrong and what is expected.</param>
    /// <param name="innerException">The error that caused it, if any.</param>
    public InvalidImageException(string imageName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ImageName = imageName;
    }

    /// <summary>Gets the image's file path, or the name given to a buffer.</summary>
    public string ImageName { get; }
}
