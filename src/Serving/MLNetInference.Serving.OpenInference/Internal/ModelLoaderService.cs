using Microsoft.Extensions.Hosting;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>Starts loading the V2 server's models when the host starts, without holding up its start.</summary>
internal sealed class ModelLoaderService(ModelRegistry registry, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        registry.StartLoading(services);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
