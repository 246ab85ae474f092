using MLNetInference.Serving;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MLNetInference.Samples.EmbeddingService.Telemetry;

/// <summary>
/// Exports the pool's and ASP.NET Core's metrics through OpenTelemetry: Prometheus text at <c>/metrics</c> always, and
/// OTLP (metrics, traces and logs) when an endpoint is configured.
/// </summary>
public static class ServiceTelemetry
{
    /// <summary>The configuration key that names an OTLP endpoint besides the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public const string OtlpEndpointKey = "Telemetry:Otlp:Endpoint";

    /// <summary>The configuration key of the OTLP protocol for <see cref="OtlpEndpointKey"/>: <c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public const string OtlpProtocolKey = "Telemetry:Otlp:Protocol";

    /// <summary>The standard OpenTelemetry variable (read from any configuration source, the environment included).</summary>
    public const string StandardOtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Registers OpenTelemetry: the pool's meter, ASP.NET Core's meters, the Prometheus exporter, and OTLP when configured.</summary>
    /// <param name="builder">The app's builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">An OTLP setting is not valid.</exception>
    public static WebApplicationBuilder AddServiceTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithMetrics(metrics => metrics
                .AddMeter(PoolMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddMeter("Microsoft.AspNetCore.RateLimiting")
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

        // Spans cost something to build: trace only when they go somewhere.
        var configuration = builder.Configuration;
        if (!string.IsNullOrWhiteSpace(configuration[StandardOtlpEndpointKey]))
        {
            // The exporter reads the endpoint, protocol and headers from the standard OTEL_EXPORTER_OTLP_* settings.
            telemetry.WithTracing(Traces).UseOtlpExporter();
        }
        else if (configuration[OtlpEndpointKey] is { Length: > 0 } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new InvalidOperationException($"{OtlpEndpointKey} is '{endpoint}', not an absolute URL such as http://collector:4317.");
            }

            var protocol = configuration[OtlpProtocolKey] switch
            {
                null or "" or "grpc" => OtlpExportProtocol.Grpc,
                "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
                var other => throw new InvalidOperationException($"{OtlpProtocolKey} is '{other}'; use 'grpc' or 'http/protobuf'."),
            };
            telemetry.WithTracing(Traces).UseOtlpExporter(protocol, uri);
        }

        return builder;
    }

    private static void Traces(TracerProviderBuilder tracing) => tracing
        .AddSource(PoolTracing.ActivitySourceName)
        .AddAspNetCoreInstrumentation();
}
