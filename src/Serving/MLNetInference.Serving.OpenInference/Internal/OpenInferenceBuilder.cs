using Microsoft.Extensions.DependencyInjection;

namespace MLNetInference.Serving.OpenInference.Internal;

internal sealed record OpenInferenceBuilder(IServiceCollection Services) : IOpenInferenceBuilder;
