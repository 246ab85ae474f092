using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Models;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Serving.OpenInference.Tests;

/// <summary>The MiniLM text → embedding pipeline saved as one of our zips, built once per test run, and its row types.</summary>
internal static class TextModel
{
    private static readonly Lazy<string> SharedZip = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlnetinference-v2-embedder-{Environment.ProcessId}.zip");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextInput { Text = "warm up" } });
        var model = ml.Transforms.EmbedSentences(nameof(TextInput.Text), ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab).Fit(data);
        BatchedModel.Save(ml, model, data.Schema, path);
        BatchedModel.DisposeModel(model);
        return path;
    });

    public static string ZipPath => SharedZip.Value;

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
