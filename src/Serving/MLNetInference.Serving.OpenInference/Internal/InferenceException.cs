using Microsoft.AspNetCore.Http;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>A request the server refuses or cannot serve, with the HTTP status it maps to.</summary>
internal sealed class OpenInferenceException : Exception
{
    public OpenInferenceException(int statusCode, string message, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
    }

    /// <summary>Gets the HTTP status: 400 bad input, 404 unknown model, 413 body too large, 503 unavailable, 500 otherwise.</summary>
    public int StatusCode { get; }

    public static OpenInferenceException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    public static OpenInferenceException NotFound(string message) => new(StatusCodes.Status404NotFound, message);

    public static OpenInferenceException Unavailable(string message, Exception? inner = null) => new(StatusCodes.Status503ServiceUnavailable, message, inner);
}
