using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using MLNetInference.Serving;

namespace MLNetInference.Samples.EmbeddingService.Internal;

/// <summary>
/// Turns the pool's typed exceptions into problem details: bad input 400, queue full 429 (with <c>Retry-After</c>),
/// model unavailable 503, timeout 504. Anything else is left to the default handler (500).
/// </summary>
internal sealed class PredictionExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    /// <summary>The status nginx made common for a request the client gave up on; nothing is written.</summary>
    private const int ClientClosedRequest = 499;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            httpContext.Response.StatusCode = ClientClosedRequest;
            return true;
        }

        var (status, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request"),
            QueueFullException => (StatusCodes.Status429TooManyRequests, "The embedder's queue is full"),
            ModelUnavailableException => (StatusCodes.Status503ServiceUnavailable, "The embedder is unavailable"),
            PredictionTimeoutException => (StatusCodes.Status504GatewayTimeout, "The embedder timed out"),

            // InvalidInputException (pool validation) and TextInputException (the tokenizer) are ArgumentExceptions.
            // ArgumentNullException is not bad input here: the endpoints check for nulls, so it would be a bug.
            ArgumentException and not ArgumentNullException => (StatusCodes.Status400BadRequest, "Invalid input"),
            _ => (0, null),
        };
        if (status == 0)
        {
            return false;
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status429TooManyRequests)
        {
            httpContext.Response.Headers.RetryAfter = "1";
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = exception.Message },
        });
    }
}
