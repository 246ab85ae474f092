using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace MLNetInference.Samples.EmbeddingService.Security;

/// <summary>Registers the optional authentication of the inference endpoints (<see cref="InferenceSecurityOptions"/>).</summary>
public static class InferenceSecurity
{
    /// <summary>The authorization policy the inference endpoints require when authentication is on.</summary>
    public const string PolicyName = "inference";

    /// <summary>Registers authentication and the <see cref="PolicyName"/> policy for the configured mode.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The app's configuration.</param>
    /// <returns>The mode, so that the caller knows whether to require the policy.</returns>
    public static InferenceAuthenticationMode AddInferenceSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(InferenceSecurityOptions.SectionName);
        services.AddOptions<InferenceSecurityOptions>()
            .Bind(section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<InferenceSecurityOptions>, InferenceSecurityOptionsValidator>();

        var mode = section.GetValue<InferenceAuthenticationMode>(nameof(InferenceSecurityOptions.Mode));
        var scheme = mode switch
        {
            InferenceAuthenticationMode.ApiKey => ApiKeyAuthenticationHandler.SchemeName,
            InferenceAuthenticationMode.JwtBearer => JwtBearerDefaults.AuthenticationScheme,
            _ => null,
        };
        if (scheme is null)
        {
            services.AddAuthorization();
            return mode;
        }

        var authentication = services.AddAuthentication(scheme);
        if (mode == InferenceAuthenticationMode.ApiKey)
        {
            authentication.AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(scheme, configureOptions: null);
        }
        else
        {
            // Authority, audiences, issuers and signing keys come from Authentication:Schemes:Bearer, as the framework reads them.
            authentication.AddJwtBearer();
        }

        services.AddAuthorizationBuilder()
            .AddPolicy(PolicyName, policy => policy.AddAuthenticationSchemes(scheme).RequireAuthenticatedUser());
        return mode;
    }

    /// <summary>Names every problem of the settings in the startup error.</summary>
    private sealed class InferenceSecurityOptionsValidator : IValidateOptions<InferenceSecurityOptions>
    {
        public ValidateOptionsResult Validate(string? name, InferenceSecurityOptions options)
        {
            var errors = options.Validate();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
