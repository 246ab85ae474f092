namespace MLNetInference.Serving.OpenInference;

/// <summary>Settings of the Open Inference Protocol server: its name and the limits every request is checked against.</summary>
/// <remarks>Limits are checked before anything of the claimed size is allocated: a body over
/// <see cref="MaxRequestBodySize"/> is refused unread (413), and a tensor whose declared shape holds more than
/// <see cref="MaxTensorElements"/> elements, or whose shape product overflows or disagrees with its data, gets 400.</remarks>
public sealed class OpenInferenceOptions
{
    /// <summary>Gets or sets the server name answered by <c>GET /v2</c>. Default: <c>mlnetinference</c>.</summary>
    public string ServerName { get; set; } = "mlnetinference";

    /// <summary>Gets or sets the server version answered by <c>GET /v2</c>. Default: the package version.</summary>
    public string ServerVersion { get; set; } = typeof(OpenInferenceOptions).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";

    /// <summary>Gets or sets the largest request body (REST) or message (gRPC) in bytes. Default: 64 MiB.</summary>
    public int MaxRequestBodySize { get; set; } = 64 * 1024 * 1024;

    /// <summary>Gets or sets the most elements one tensor may declare. Default: 16 Mi (2^24).</summary>
    public int MaxTensorElements { get; set; } = 1 << 24;

    /// <summary>Lists what is wrong with these settings.</summary>
    /// <returns>The problems; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ServerName))
        {
            errors.Add("ServerName must not be empty.");
        }

        if (MaxRequestBodySize <= 0)
        {
            errors.Add($"MaxRequestBodySize must be positive (was {MaxRequestBodySize}).");
        }

        if (MaxTensorElements <= 0)
        {
            errors.Add($"MaxTensorElements must be positive (was {MaxTensorElements}).");
        }

        return errors;
    }
}
