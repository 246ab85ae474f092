using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace MLNetInference.Samples.EmbeddingService.Security;

/// <summary>
/// Authenticates a request by the API key in <see cref="InferenceSecurityOptions.ApiKeyHeader"/>: the caller is the
/// client whose key it is. Keys are compared in constant time.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<InferenceSecurityOptions> security)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var settings = security.Value;
        if (!Request.Headers.TryGetValue(settings.ApiKeyHeader, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = Encoding.UTF8.GetBytes(values[0]!);
        string? client = null;
        foreach (var (name, key) in settings.ApiKeys)
        {
            // Every key is compared, so the time taken does not tell which one nearly matched.
            if (CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(key)) && client is null)
            {
                client = name;
            }
        }

        if (client is null)
        {
            return Task.FromResult(AuthenticateResult.Fail($"The key in the {settings.ApiKeyHeader} header is not a known API key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, client)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{security.Value.ApiKeyHeader}\"";
        return Task.CompletedTask;
    }
}
