using Grpc.Core;
using Microsoft.AspNetCore.Http;
using MLNetInference.Core;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>One mapping from what went wrong to the HTTP status and gRPC status the protocol answers with.</summary>
internal static class ErrorMapping
{
    public static (int Status, string Message) ToHttp(Exception exception) => exception switch
    {
        OpenInferenceException e => (e.StatusCode, e.Message),
        InvalidInputException e => (StatusCodes.Status400BadRequest, e.Message),
        QueueFullException e => (StatusCodes.Status503ServiceUnavailable, e.Message),
        ModelUnavailableException e => (StatusCodes.Status503ServiceUnavailable, e.Message),
        PredictionTimeoutException e => (StatusCodes.Status503ServiceUnavailable, e.Message),
        _ => (StatusCodes.Status500InternalServerError, $"Inference failed: {exception.Message}"),
    };

    public static RpcException ToRpc(Exception exception)
    {
        var (status, message) = ToHttp(exception);
        var code = status switch
        {
            StatusCodes.Status400BadRequest => StatusCode.InvalidArgument,
            StatusCodes.Status404NotFound => StatusCode.NotFound,
            StatusCodes.Status413PayloadTooLarge => StatusCode.ResourceExhausted,
            StatusCodes.Status503ServiceUnavailable => StatusCode.Unavailable,
            _ => StatusCode.Internal,
        };
        return new RpcException(new Status(code, message));
    }
}
