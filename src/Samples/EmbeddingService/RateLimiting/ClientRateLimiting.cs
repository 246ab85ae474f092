using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace MLNetInference.Samples.EmbeddingService.RateLimiting;

/// <summary>
/// The per-client rate limiter of the inference endpoints (the framework's <c>AddRateLimiter</c>): each client has its
/// own token bucket, so one noisy client gets 429 while the others keep being served.
/// </summary>
public static class ClientRateLimiting
{
    /// <summary>The policy's name, for <c>RequireRateLimiting</c>.</summary>
    public const string PolicyName = "per-client";

    /// <summary>Registers the policy, configured from <see cref="ClientRateLimitOptions"/>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The app's configuration.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddClientRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ClientRateLimitOptions>().Bind(configuration.GetSection(ClientRateLimitOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = OnRejectedAsync;
            limiter.AddPolicy(PolicyName, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<ClientRateLimitOptions>>().Value;
                if (!settings.Enabled)
                {
                    return RateLimitPartition.GetNoLimiter(string.Empty);
                }

                return RateLimitPartition.GetTokenBucketLimiter(ClientKey(context), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.TokenLimit,
                    TokensPerPeriod = settings.TokensPerPeriod,
                    ReplenishmentPeriod = settings.ReplenishmentPeriod,
                    QueueLimit = settings.QueueLimit,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    AutoReplenishment = true,
                });
            });
        });
        return services;
    }

    /// <summary>The partition a request counts against: the authenticated client, else the remote address.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The partition key.</returns>
    public static string ClientKey(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.User;
        if (user.Identity is { IsAuthenticated: true } identity)
        {
            // An API key's client name; a token's name, or else its subject (JwtBearer maps "sub" to NameIdentifier).
            var name = identity.Name ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? user.FindFirst("sub")?.Value;
            if (!string.IsNullOrEmpty(name))
            {
                return "client:" + name;
            }
        }

        return "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var http = rejected.HttpContext;
        if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = "This client has used its share of the embedder (RateLimiting settings); retry later.",
            },
        });
    }
}
