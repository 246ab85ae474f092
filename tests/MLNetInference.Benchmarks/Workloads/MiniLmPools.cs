using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using MLNetInference.Models;
using MLNetInference.Pipeline.Serialization;
using MLNetInference.Serving;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>Our PredictionEnginePool over the MiniLM text → embedding zip, built as a user would (EmbedSentences, BatchedModel.Save, DI).</summary>
internal static class MiniLmPools
{
    /// <summary>Fits <c>EmbedSentences</c> (over <paramref name="modelPath"/>, MiniLM by default) and saves it as one zip at <paramref name="path"/>.</summary>
    public static string BuildZip(string path, string? recipe = null, string? modelPath = null)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "warm up" } });
        var model = ml.Transforms.EmbedSentences(nameof(TextRow.Text), modelPath ?? ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab, recipe: recipe).Fit(data);
        BatchedModel.Save(ml, model, data.Schema, path);
        BatchedModel.DisposeModel(model);

        return path;
    }

    /// <summary>Creates a pool from the zip; the provider owns (and disposes) the pool.</summary>
    public static (ServiceProvider Provider, PredictionEnginePool<TextRow, EmbeddingRow> Pool) Create(string zip, Action<DynamicBatchingOptions> batching)
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<TextRow, EmbeddingRow>()
            .FromFile(zip)
            .WithDynamicBatching(batching);
        var provider = services.BuildServiceProvider(validateScopes: true);
        return (provider, provider.GetRequiredService<PredictionEnginePool<TextRow, EmbeddingRow>>());
    }
}
