namespace MLNetInference.Samples.EmbeddingService.Security;

/// <summary>How callers of the inference endpoints prove who they are.</summary>
public enum InferenceAuthenticationMode
{
    /// <summary>Anyone may call (the default).</summary>
    None,

    /// <summary>A key from <see cref="InferenceSecurityOptions.ApiKeys"/> in the <see cref="InferenceSecurityOptions.ApiKeyHeader"/> header.</summary>
    ApiKey,

    /// <summary>A JWT bearer token, validated with the framework's handler as configured under <c>Authentication:Schemes:Bearer</c>.</summary>
    JwtBearer,
}
