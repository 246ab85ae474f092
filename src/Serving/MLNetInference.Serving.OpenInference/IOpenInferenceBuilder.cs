using Microsoft.Extensions.DependencyInjection;

namespace MLNetInference.Serving.OpenInference;

/// <summary>Adds models to the Open Inference Protocol server registered by <c>AddOpenInference</c>.</summary>
public interface IOpenInferenceBuilder
{
    /// <summary>Gets the service collection the server is registered in.</summary>
    IServiceCollection Services { get; }
}
