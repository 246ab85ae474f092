using System.Reflection;

namespace MLNetInference.Models.Internal;

/// <summary>The folder that holds obtained models, and the atomic writes that fill it.</summary>
internal static class ModelCache
{
    private const string SolutionFileName = "MLNetInference.sln";

    private static readonly Lazy<string> LazyDirectory = new(FindDirectory, LazyThreadSafetyMode.ExecutionAndPublication);

    // One writer per process at a time; other processes are handled by the atomic move.
    private static readonly Lock WriteGate = new();

    /// <summary>Gets the cache folder: <c>models/cache</c> of the repository, or <c>models-cache</c> next to the assembly.</summary>
    public static string Directory => LazyDirectory.Value;

    /// <summary>Returns the full path of <paramref name="relativePath"/> in the cache, writing it first if it is missing.</summary>
    /// <param name="relativePath">The file's path inside the cache folder.</param>
    /// <param name="write">Writes the file's content to the stream it is given.</param>
    /// <returns>The full path of the file, which exists and is complete.</returns>
    public static string EnsureFile(string relativePath, Action<Stream> write)
    {
        var path = Path.GetFullPath(Path.Combine(Directory, relativePath));
        if (File.Exists(path))
        {
            return path;
        }

        lock (WriteGate)
        {
            if (!File.Exists(path))
            {
                WriteAtomically(path, write);
            }
        }

        return path;
    }

    /// <summary>
    /// Returns the full path of <paramref name="relativePath"/> in the cache, (re)writing it first unless it already holds
    /// exactly <paramref name="content"/>.
    /// </summary>
    /// <param name="relativePath">The file's path inside the cache folder.</param>
    /// <param name="content">The file's content.</param>
    /// <returns>The full path of the file.</returns>
    public static string EnsureContent(string relativePath, byte[] content)
    {
        var path = Path.GetFullPath(Path.Combine(Directory, relativePath));
        lock (WriteGate)
        {
            if (!HasContent(path, content))
            {
                // A stale file (older generator) is replaced; a racing process writes the same bytes.
                if (File.Exists(path))
                {
                    File.Delete(path);
                }

                WriteAtomically(path, stream => stream.Write(content));
            }
        }

        return path;
    }

    /// <summary>Reads a package folder that the build recorded in this assembly's metadata.</summary>
    /// <param name="key">The metadata key.</param>
    /// <returns>The folder, or <see langword="null"/> when none was recorded or it no longer exists.</returns>
    public static string? PackageFolder(string key)
    {
        foreach (var attribute in typeof(ModelCache).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
        {
            if (attribute.Key == key && !string.IsNullOrEmpty(attribute.Value) && System.IO.Directory.Exists(attribute.Value))
            {
                return attribute.Value;
            }
        }

        return null;
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
            }

            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process moved the same content into place first.
            }
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static bool HasContent(string path, byte[] content)
    {
        var file = new FileInfo(path);
        return file.Exists && file.Length == content.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(content);
    }

    /// <summary>The environment variable that, when set, names the cache folder.</summary>
    public const string DirectoryVariable = "MLNETINFERENCE_MODEL_CACHE";

    /// <summary>
    /// Chooses the cache folder: the one <see cref="DirectoryVariable"/> names; else <c>models/cache</c> of the
    /// repository above the application's folder, or above the current folder (a notebook runs inside a tool's folder
    /// but from the repository); else <c>models-cache</c> next to the application.
    /// </summary>
    internal static string FindDirectory(string? configured, string baseDirectory, string currentDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        foreach (var start in new[] { baseDirectory, currentDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, SolutionFileName)))
                {
                    return Path.Combine(folder.FullName, "models", "cache");
                }
            }
        }

        return Path.Combine(baseDirectory, "models-cache");
    }

    private static string FindDirectory() =>
        FindDirectory(Environment.GetEnvironmentVariable(DirectoryVariable), AppContext.BaseDirectory, Environment.CurrentDirectory);
}
