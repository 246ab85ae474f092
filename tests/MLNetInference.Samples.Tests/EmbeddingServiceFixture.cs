using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.ML;
using MLNetInference.Models;
using MLNetInference.Samples.EmbeddingService;

namespace MLNetInference.Samples.Tests;

/// <summary>
/// Builds the embedder zip once per test run in a temporary folder (through the service's own startup path, as a
/// first <c>dotnet run</c> would), points every service instance at it, and deletes it at the end.
/// </summary>
[TestClass]
public static class EmbeddingServiceFixture
{
    private static string? _folder;

    public static string ModelPath => Path.Combine(_folder ?? throw new InvalidOperationException("The assembly fixture did not run."), "minilm-embedder.zip");

    [AssemblyInitialize]
    public static void BuildModel(TestContext context)
    {
        _ = context;
        _folder = Directory.CreateTempSubdirectory("mlnetinference-samples-").FullName;

        // The first factory builds the zip at startup; later ones find it.
        using var factory = CreateFactory();
        _ = factory.Services;
        Assert.IsTrue(File.Exists(ModelPath), $"startup did not build {ModelPath}");
    }

    [AssemblyCleanup]
    public static void DeleteModel()
    {
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>Creates an in-memory service on the shared zip, with extra settings (<c>Embedder:Batching:MaxQueueLength</c>, ...).</summary>
    public static WebApplicationFactory<Program> CreateFactory(params (string Key, string Value)[] settings)
        => new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Embedder:ModelPath", ModelPath);
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });

    /// <summary>Embeds with the <c>EmbedSentences</c> estimator directly (no zip, no pool): the reference.</summary>
    public static float[][] EmbedWithEstimator(IReadOnlyList<string> texts)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new TextInput { Text = t }).ToArray());
        var model = ml.Transforms.EmbedSentences(nameof(TextInput.Text), ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab).Fit(data);
        try
        {
            return [.. ml.Data.CreateEnumerable<Embedding>(model.Transform(data), reuseRowObject: false).Select(e => e.Vector)];
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    public static double Norm(float[] v)
    {
        double sum = 0;
        foreach (var x in v)
        {
            sum += x * x;
        }

        return Math.Sqrt(sum);
    }
}
