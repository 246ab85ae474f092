using Microsoft.ML;
using MLNetInference.Models;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Samples.EmbeddingService.Internal;

/// <summary>Finds the embedder zip and builds it once (MiniLM through <c>EmbedSentences</c>) when it is missing.</summary>
internal static class EmbedderModelFile
{
    /// <summary>Gets the zip's full path from the configured one.</summary>
    /// <param name="configuredPath">The <c>Embedder:ModelPath</c> setting; empty for the default in the model cache.</param>
    /// <param name="contentRoot">The folder relative paths start from.</param>
    public static string Resolve(string? configuredPath, string contentRoot)
        => string.IsNullOrWhiteSpace(configuredPath)
            ? Path.Combine(ModelPaths.CacheDirectory, "embedder", "minilm-embedder.zip")
            : Path.GetFullPath(configuredPath, contentRoot);

    /// <summary>Builds the zip at <paramref name="path"/> unless it exists.</summary>
    /// <returns><see langword="true"/> when this call built it.</returns>
    public static bool EnsureBuilt(string path)
    {
        if (File.Exists(path))
        {
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Written under a temporary name and moved into place, so that a process racing on the same path never
        // loads half a zip; the loser of the race keeps the winner's file.
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            Build(temp);
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static void Build(string path)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextInput { Text = "warm up" } });
        var model = ml.Transforms.EmbedSentences(nameof(TextInput.Text), ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab).Fit(data);
        try
        {
            BatchedModel.Save(ml, model, data.Schema, path);
        }
        finally
        {
            // The fitted chain owns the ONNX session; TransformerChain disposes its stages.
            (model as IDisposable)?.Dispose();
        }
    }
}
