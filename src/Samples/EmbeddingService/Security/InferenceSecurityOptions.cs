namespace MLNetInference.Samples.EmbeddingService.Security;

/// <summary>
/// The <c>Security</c> configuration section: authentication of the inference endpoints. Health, metrics and the
/// OpenAPI document stay open.
/// </summary>
public sealed class InferenceSecurityOptions
{
    public const string SectionName = "Security";

    /// <summary>Gets or sets how callers authenticate; <see cref="InferenceAuthenticationMode.None"/> by default.</summary>
    public InferenceAuthenticationMode Mode { get; set; }

    /// <summary>Gets or sets the header that carries the API key.</summary>
    public string ApiKeyHeader { get; set; } = "X-Api-Key";

    /// <summary>Gets the API keys by client name (the name is the caller's identity, for the rate limiter and the logs).</summary>
    public Dictionary<string, string> ApiKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Checks the settings.</summary>
    /// <returns>What is wrong, or nothing.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Mode == InferenceAuthenticationMode.ApiKey)
        {
            if (string.IsNullOrWhiteSpace(ApiKeyHeader))
            {
                errors.Add("Security:ApiKeyHeader is empty; name the header that carries the key.");
            }

            if (ApiKeys.Count == 0)
            {
                errors.Add("Security:Mode is ApiKey but Security:ApiKeys holds no key; add \"client-name\": \"key\" pairs.");
            }

            foreach (var (client, key) in ApiKeys)
            {
                if (key is null || key.Length < 16)
                {
                    errors.Add($"The API key of client '{client}' has fewer than 16 characters; use a long random key.");
                }
            }
        }

        return errors;
    }
}
