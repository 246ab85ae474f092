using Microsoft.Extensions.Http.Resilience;

namespace MLNetInference.Serving.OpenInference;

/// <summary>Settings of a pooled model served by a remote Open Inference Protocol server (<c>FromOpenInference</c>).</summary>
public sealed class OpenInferenceClientOptions
{
    /// <summary>Gets or sets the model's name on the remote server. Default: the pooled model's name.</summary>
    public string? RemoteModelName { get; set; }

    /// <summary>Gets or sets the protocol. Default: <see cref="OpenInferenceProtocol.RestBinary"/>.</summary>
    public OpenInferenceProtocol Protocol { get; set; } = OpenInferenceProtocol.RestBinary;

    /// <summary>
    /// Gets the resilience settings of each remote call: a total timeout, retries with backoff on transient failures
    /// (5xx, 408, 429, connection errors), a circuit breaker and a per-attempt timeout, from
    /// Microsoft.Extensions.Http.Resilience's standard handler. Defaults: theirs.
    /// </summary>
    public HttpStandardResilienceOptions Resilience { get; } = new();

    /// <summary>Gets or sets the most elements one response tensor may declare. Default: 2^26.</summary>
    public int MaxTensorElements { get; set; } = 1 << 26;
}
