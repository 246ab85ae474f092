using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MLNetInference.Samples.EmbeddingService;
using MLNetInference.Samples.EmbeddingService.Api;
using MLNetInference.Samples.EmbeddingService.Internal;
using MLNetInference.Samples.EmbeddingService.Metrics;
using MLNetInference.Serving;

var app = Program.BuildApp(args);
app.Run();

/// <summary>The embedding service: MiniLM sentence embeddings over HTTP, batched across requests.</summary>
public partial class Program
{
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
        builder.Services.AddHealthChecks().AddPredictionEnginePool<TextInput, Embedding>();
        builder.Services.AddProblemDetails();

        // Malformed JSON throws in every environment (not only Development), so the exception handler answers it
        // with a problem that says what could not be read.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<PredictionExceptionHandler>();
        builder.Services.AddSingleton<PoolMetricsCollector>();

        var app = builder.Build();
        app.Logger.LogInformation("Embedder model {Path} ({State}).", modelPath, built ? "built now" : "found");
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapEmbeddingEndpoints();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapGet("/metrics", (PoolMetricsCollector metrics) => metrics.Snapshot());

        // The collector listens before the pool measures anything, and the model loads now rather than on the first request.
        app.Services.GetRequiredService<PoolMetricsCollector>();
        app.Services.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        return app;
    }
}
