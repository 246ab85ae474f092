namespace MLNetInference.Models;

/// <summary>One model of <see cref="ZooModels"/>: its bytes, the side files its weights live in (if any), and what it covers.</summary>
/// <param name="Name">The model's name, also its file name without <c>.onnx</c>.</param>
/// <param name="Description">The exporter forms it covers, in a sentence.</param>
/// <param name="Opset">The default-domain opset it imports.</param>
/// <param name="Model">The serialized model. When <paramref name="ExternalData"/> is not empty its weights are not in these bytes.</param>
/// <param name="ExternalData">Side files the model's tensors point to, by file name; empty when the weights are inside <paramref name="Model"/>.</param>
public sealed record ZooModel(string Name, string Description, long Opset, byte[] Model, IReadOnlyDictionary<string, byte[]> ExternalData)
{
    /// <summary>Gets a value indicating whether the model keeps its weights in side files.</summary>
    public bool HasExternalData => ExternalData.Count > 0;

    /// <summary>Writes the model and its side files into a folder.</summary>
    /// <param name="folder">The folder; created when missing.</param>
    /// <returns>The path of the model file.</returns>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty.</exception>
    public string WriteTo(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, Name + ".onnx");
        File.WriteAllBytes(path, Model);
        foreach (var (file, bytes) in ExternalData)
        {
            File.WriteAllBytes(Path.Combine(folder, file), bytes);
        }

        return path;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
