using System.Globalization;

namespace MLNetInference.Samples.InferenceServer;

/// <summary>The models of a Triton-layout repository folder: <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c>, the latest numeric version of each.</summary>
internal static class ModelRepositoryFolder
{
    public static IReadOnlyList<(string Name, string ModelPath, string Version)> Scan(string repository)
    {
        if (!Directory.Exists(repository))
        {
            throw new DirectoryNotFoundException($"The model repository '{repository}' does not exist.");
        }

        var models = new List<(string, string, string)>();
        foreach (var folder in Directory.GetDirectories(repository).Order(StringComparer.Ordinal))
        {
            var latest = Directory.GetDirectories(folder)
                .Select(v => (Path: v, Ok: long.TryParse(Path.GetFileName(v), NumberStyles.None, CultureInfo.InvariantCulture, out var n), Number: n))
                .Where(v => v.Ok && File.Exists(Path.Combine(v.Path, "model.onnx")))
                .OrderByDescending(v => v.Number)
                .FirstOrDefault();
            if (latest.Path is null)
            {
                throw new FileNotFoundException($"Model folder '{folder}' has no numeric version folder holding model.onnx.");
            }

            models.Add((Path.GetFileName(folder), Path.Combine(latest.Path, "model.onnx"), latest.Number.ToString(CultureInfo.InvariantCulture)));
        }

        return models;
    }
}
