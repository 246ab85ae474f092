using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>Deletes the shared zip if this run built it.</summary>
    public static void DeleteSharedZip()
    {
        if (SharedZip.IsValueCreated)
        {
            File.Delete(SharedZip.Value);
        }
    }

    /// <summary>
    /// A V2 server over a pool that serves the zip as "minilm", plus <paramref name="sentenceCount"/> corpus sentences and
    /// their embeddings from that pool in process, the reference the protocol tests compare against.
    /// </summary>
    public static async Task<(V2TestServer Server, string[] Sentences, float[][] Expected)> StartPoolServerAsync(int sentenceCount)
    {
        var zip = ZipPath;
        var server = await V2TestServer.StartAsync(services =>
        {
            services.AddPredictionEnginePool<TextInput, Embedding>().FromFile("minilm", zip);
            services.AddOpenInference().AddPredictionEnginePool<TextInput, Embedding>();
        });
        string[] sentences = [.. SentenceCorpus.Load(sentenceCount)];
        var pool = server.Services.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        float[][] expected = [.. (await pool.PredictBatchAsync("minilm", sentences.Select(s => new TextInput { Text = s }).ToArray())).Select(e => e.Vector)];
        return (server, sentences, expected);
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
