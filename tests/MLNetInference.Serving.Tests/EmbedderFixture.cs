using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Models;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Serving.Tests;

/// <summary>The MiniLM text → embedding model saved as one zip, built once per test run, and the types it takes.</summary>
internal static class EmbedderFixture
{
    private static readonly Lazy<string> SharedZip = new(() => Build(Path.Combine(Path.GetTempPath(), $"mlnetinference-embedder-{Environment.ProcessId}.zip")));

    public static string ZipPath => SharedZip.Value;

    /// <summary>Deletes the shared zip if this run built it.</summary>
    public static void DeleteSharedZip()
    {
        if (SharedZip.IsValueCreated)
        {
            File.Delete(SharedZip.Value);
        }
    }

    /// <summary>Builds the zip at <paramref name="path"/>.</summary>
    public static string Build(string path)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextInput { Text = "warm up" } });
        var model = ml.Transforms.EmbedSentences(nameof(TextInput.Text), ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab).Fit(data);
        BatchedModel.Save(ml, model, data.Schema, path);
        BatchedModel.DisposeModel(model);

        return path;
    }

    /// <summary>Embeds with the estimator directly, the reference for the pool.</summary>
    public static float[][] EmbedWithEstimator(IReadOnlyList<string> sentences)
    {
        var ml = new MLContext(seed: 1);
        var model = BatchedModel.Load(ml, ZipPath, out _);
        try
        {
            var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new TextInput { Text = s }));
            return [.. ml.Data.CreateEnumerable<Embedding>(model.Transform(data), reuseRowObject: false).Select(e => e.Vector)];
        }
        finally
        {
            BatchedModel.DisposeModel(model);
        }
    }

    public static float Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return (float)(dot / Math.Sqrt(na * nb));
    }

    public sealed class TextInput
    {
        public string Text { get; set; } = string.Empty;
    }

    public sealed class Embedding
    {
        [ColumnName("embedding")]
        [VectorType(384)]
        public float[] Vector { get; set; } = [];
    }
}
