using Google.Protobuf;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Onnx;

/// <summary>
/// Reads and writes ONNX models with explicit size and recursion limits, so that a malformed or hostile
/// file gives an <see cref="OnnxFormatException"/> instead of a crash or a hang.
/// </summary>
public static class OnnxModelIO
{
    /// <summary>The largest model this reader accepts in one protobuf message (2 GiB less one byte, protobuf's own ceiling).</summary>
    public const int MaxModelBytes = int.MaxValue;

    /// <summary>The deepest nesting of messages (subgraphs in attributes) this reader accepts.</summary>
    public const int MaxRecursionDepth = 64;

    /// <summary>Loads a model from a file, pulling any external tensor data into the model.</summary>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <param name="loadExternalData">Whether tensors stored in side files are read into <c>raw_data</c>.</param>
    /// <returns>The parsed model.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">The file is not a valid ONNX model, or an external-data path leaves the model's folder.</exception>
    public static ModelProto Load(string path, bool loadExternalData = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The ONNX model file '{path}' does not exist.", path);
        }

        ModelProto model;
        using (var stream = File.OpenRead(path))
        {
            model = Parse(stream, path);
        }

        if (loadExternalData)
        {
            ResolveExternalData(model, Path.GetDirectoryName(Path.GetFullPath(path))!);
        }

        return model;
    }

    /// <summary>Parses a model held in memory. External data, if any, is left unresolved.</summary>
    /// <param name="bytes">The serialized model.</param>
    /// <param name="sourceName">A name for the model used in error messages.</param>
    /// <returns>The parsed model.</returns>
    /// <exception cref="OnnxFormatException">The bytes are not a valid ONNX model.</exception>
    public static ModelProto Parse(byte[] bytes, string sourceName = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return Parse(stream, sourceName);
    }

    /// <summary>Serializes a model to bytes.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The protobuf encoding of <paramref name="model"/>.</returns>
    public static byte[] ToBytes(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.ToByteArray();
    }

    /// <summary>Writes a model to a file, creating the folder if needed.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The destination file.</param>
    public static void Save(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using var stream = File.Create(path);
        model.WriteTo(stream);
    }

    private static ModelProto Parse(Stream stream, string sourceName)
    {
        if (stream.CanSeek && stream.Length == 0)
        {
            throw new OnnxFormatException($"The ONNX model '{sourceName}' is empty (0 bytes). Re-export or re-download the model.");
        }

        ModelProto model;
        try
        {
            using var input = CodedInputStream.CreateWithLimits(stream, MaxModelBytes, MaxRecursionDepth);
            model = ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxFormatException(
                $"The ONNX model '{sourceName}' is corrupt or truncated: {ex.Message} Re-export or re-download the model.", ex);
        }

        if (model.Graph is null || (model.Graph.Node.Count == 0 && model.Graph.Output.Count == 0))
        {
            throw new OnnxFormatException(
                $"'{sourceName}' parsed as protobuf but holds no ONNX graph; it is not an ONNX model (or is truncated).");
        }

        if (model.IrVersion <= 0)
        {
            throw new OnnxFormatException($"The ONNX model '{sourceName}' has no IR version; it is not a valid ONNX model.");
        }

        return model;
    }

    private static void ResolveExternalData(ModelProto model, string folder)
    {
        foreach (var tensor in model.Graph.Initializer)
        {
            if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
            {
                continue;
            }

            string? location = null;
            long offset = 0;
            long length = -1;
            foreach (var entry in tensor.ExternalData)
            {
                switch (entry.Key)
                {
                    case "location":
                        location = entry.Value;
                        break;
                    case "offset":
                        offset = ParseExternalNumber(entry.Value, "offset", tensor.Name);
                        break;
                    case "length":
                        length = ParseExternalNumber(entry.Value, "length", tensor.Name);
                        break;
                }
            }

            if (string.IsNullOrEmpty(location))
            {
                throw new OnnxFormatException($"Initializer '{tensor.Name}' is marked as external data but names no location.");
            }

            var full = ResolveInside(folder, location, tensor.Name);
            if (!File.Exists(full))
            {
                throw new OnnxFormatException($"External data file '{location}' for initializer '{tensor.Name}' was not found next to the model.");
            }

            using var file = File.OpenRead(full);
            if (offset < 0 || offset > file.Length)
            {
                throw new OnnxFormatException($"External data offset {offset} for initializer '{tensor.Name}' lies outside '{location}'.");
            }

            if (length < 0)
            {
                length = file.Length - offset;
            }

            if (offset + length > file.Length || length > int.MaxValue)
            {
                throw new OnnxFormatException($"External data for initializer '{tensor.Name}' ({length} bytes at {offset}) runs past the end of '{location}'.");
            }

            var buffer = new byte[length];
            file.Seek(offset, SeekOrigin.Begin);
            file.ReadExactly(buffer);
            tensor.RawData = ByteString.CopyFrom(buffer);
            tensor.ExternalData.Clear();
            tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        }
    }

    private static long ParseExternalNumber(string text, string key, string tensorName)
    {
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            throw new OnnxFormatException(
                $"External data {key} '{text}' of initializer '{tensorName}' is not a non-negative integer; the model is corrupt.");
        }

        return value;
    }

    /// <summary>Resolves an external-data location against the model folder and refuses paths that leave it.</summary>
    internal static string ResolveInside(string folder, string location, string tensorName)
    {
        if (Path.IsPathRooted(location))
        {
            throw new OnnxFormatException(
                $"External data path '{location}' of initializer '{tensorName}' is absolute; only paths inside the model's folder are allowed.");
        }

        var root = Path.GetFullPath(folder);
        if (!root.EndsWith(Path.DirectorySeparatorChar))
        {
            root += Path.DirectorySeparatorChar;
        }

        var full = Path.GetFullPath(Path.Combine(root, location));
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            throw new OnnxFormatException(
                $"External data path '{location}' of initializer '{tensorName}' leaves the model's folder; refusing to read it.");
        }

        return full;
    }
}
