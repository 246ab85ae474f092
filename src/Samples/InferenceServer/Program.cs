using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using MLNetInference.Samples.InferenceServer;
using MLNetInference.Serving.OpenInference;

var app = Program.BuildApp(args);
app.Run();

/// <summary>
/// An Open Inference Protocol (KServe V2) server for a Triton-layout model repository: REST on the HTTP port
/// (HTTP/1.1 and HTTP/2), gRPC over h2c on the gRPC port. SIGTERM stops taking connections, lets in-flight requests
/// finish (up to the shutdown timeout), then drains the batchers.
/// </summary>
public partial class Program
{
    /// <summary>Builds the app; <c>Main</c> runs it, tests start it on ports of their own.</summary>
    /// <param name="args"><c>--model-repository &lt;repo&gt; --host 127.0.0.1 --http-port 8080 --grpc-port 8081</c>, and
    /// any other configuration (<c>--shutdown-timeout-seconds 30</c>).</param>
    /// <returns>The app, not started.</returns>
    public static WebApplication BuildApp(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var settings = ServerSettings.From(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(settings.Host, settings.HttpPort, o => o.Protocols = HttpProtocols.Http1AndHttp2);
            kestrel.Listen(settings.Host, settings.GrpcPort, o => o.Protocols = HttpProtocols.Http2);

            // The server's own limit (OpenInferenceOptions.MaxRequestBodySize) applies to infer requests.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);

        builder.Services.AddOpenInference().AddModelRepository(settings.ModelRepository);

        var app = builder.Build();
        app.MapOpenInference();
        app.Lifetime.ApplicationStopping.Register(() => app.Logger.LogInformation("Stopping: finishing in-flight requests."));
        app.Logger.LogInformation("Serving {Repository}: REST on http://{Host}:{HttpPort}, gRPC on {Host}:{GrpcPort}.", settings.ModelRepository, settings.Host, settings.HttpPort, settings.Host, settings.GrpcPort);
        return app;
    }
}
