using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace MLNetInference.Samples.EmbeddingService.Security;

/// <summary>
/// Declares the configured authentication in the OpenAPI document: the security scheme (API key header or JWT bearer)
/// and, on every inference operation, the requirement to use it.
/// </summary>
internal sealed class InferenceSecurityDocumentTransformer(IOptions<InferenceSecurityOptions> security) : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var settings = security.Value;
        var (name, scheme) = settings.Mode switch
        {
            InferenceAuthenticationMode.ApiKey => (ApiKeyAuthenticationHandler.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = settings.ApiKeyHeader,
                Description = "A client's API key (Security:ApiKeys).",
            }),
            InferenceAuthenticationMode.JwtBearer => ("Bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A JWT bearer token (Authentication:Schemes:Bearer).",
            }),
            _ => (null, null),
        };
        if (name is null || scheme is null)
        {
            return Task.CompletedTask;
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[name] = scheme;
        foreach (var (path, item) in document.Paths)
        {
            if (item.Operations is null || !EmbeddingPaths.Contains(path))
            {
                continue;
            }

            foreach (var operation in item.Operations.Values)
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(name, document)] = [] });
            }
        }

        return Task.CompletedTask;
    }

    private static readonly HashSet<string> EmbeddingPaths = new(StringComparer.Ordinal) { "/embed", "/embed/batch", "/similarity" };
}
