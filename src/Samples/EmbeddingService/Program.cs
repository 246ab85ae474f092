using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MLNetInference.Samples.EmbeddingService;
using MLNetInference.Samples.EmbeddingService.Api;
using MLNetInference.Samples.EmbeddingService.Internal;
using MLNetInference.Samples.EmbeddingService.RateLimiting;
using MLNetInference.Samples.EmbeddingService.Security;
using MLNetInference.Samples.EmbeddingService.Telemetry;
using MLNetInference.Serving;

var app = Program.BuildApp(args);
app.Run();

/// <summary>The embedding service: MiniLM sentence embeddings over HTTP, batched across requests.</summary>
public partial class Program
{
    /// <summary>The tag of the checks <c>/health/live</c> runs: the process answers.</summary>
    public const string LiveTag = "live";

    /// <summary>The tag of the checks <c>/health/ready</c> runs: the model is loaded and serves.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Builds the app; <c>Main</c> runs it, tests start it on a port of their own.</summary>
    /// <param name="args">Command-line arguments, configuration included (<c>--Embedder:ModelPath=...</c>).</param>
    /// <returns>The app, not started.</returns>
    public static WebApplication BuildApp(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var embedder = builder.Configuration.GetSection(EmbedderOptions.SectionName);
        var modelPath = EmbedderModelFile.Resolve(embedder[nameof(EmbedderOptions.ModelPath)], builder.Environment.ContentRootPath);
        var built = EmbedderModelFile.EnsureBuilt(modelPath);

        builder.Services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromFile(EmbedderOptions.ModelName, modelPath, embedder.GetValue<bool>(nameof(EmbedderOptions.WatchForChanges)))
            .WithDynamicBatching(o => embedder.GetSection("Batching").Bind(o));
        builder.Services.AddOptions<EmbedderOptions>().Bind(embedder).ValidateDataAnnotations().ValidateOnStart();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = embedder.GetValue(nameof(EmbedderOptions.MaxRequestBodyBytes), new EmbedderOptions().MaxRequestBodyBytes));
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process answers."), tags: [LiveTag])
            .AddPredictionEnginePool<TextInput, Embedding>(tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5));
        builder.Services.AddProblemDetails();
        var authentication = builder.Services.AddInferenceSecurity(builder.Configuration);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<InferenceSecurityDocumentTransformer>());
        builder.AddServiceTelemetry();
        builder.Services.AddClientRateLimiting(builder.Configuration);

        // Malformed JSON throws in every environment (not only Development), so the exception handler answers it
        // with a problem that says what could not be read.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<PredictionExceptionHandler>();

        var app = builder.Build();
        app.Logger.LogInformation("Embedder model {Path} ({State}); authentication: {Authentication}.", modelPath, built ? "built now" : "found", authentication);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (authentication != InferenceAuthenticationMode.None)
        {
            app.UseAuthentication();
        }

        app.UseAuthorization();

        // After authentication: the limiter's partition is the authenticated client when there is one.
        app.UseRateLimiter();

        var inference = app.MapEmbeddingEndpoints().RequireRateLimiting(ClientRateLimiting.PolicyName);
        if (authentication != InferenceAuthenticationMode.None)
        {
            inference.RequireAuthorization(InferenceSecurity.PolicyName);
        }

        // Health, metrics and the OpenAPI document stay open: probes and scrapers carry no credentials.
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains(LiveTag), ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapPrometheusScrapingEndpoint("/metrics");
        MemoryDiagnostics.Map(app);
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
        }

        // The model loads now rather than on the first request.
        app.Services.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        return app;
    }
}
