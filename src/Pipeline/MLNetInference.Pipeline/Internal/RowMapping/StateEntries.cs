using System.IO.Compression;
using System.Text.Json.Nodes;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>Reads and writes the zip entries in which row-wise transformers keep their state.</summary>
internal static class StateEntries
{
    /// <summary>Writes (or replaces) entry <paramref name="name"/>.</summary>
    /// <param name="archive">The model zip, open for update.</param>
    /// <param name="name">The entry name.</param>
    /// <param name="content">The content.</param>
    public static void Write(ZipArchive archive, string name, ReadOnlySpan<byte> content)
    {
        if (archive.Mode == ZipArchiveMode.Update)
        {
            archive.GetEntry(name)?.Delete();
        }

        using var stream = archive.CreateEntry(name, CompressionLevel.Optimal).Open();
        stream.Write(content);
    }

    /// <summary>Writes <paramref name="json"/> as entry <paramref name="name"/>.</summary>
    /// <param name="archive">The model zip, open for update.</param>
    /// <param name="name">The entry name.</param>
    /// <param name="json">The JSON object.</param>
    public static void WriteJson(ZipArchive archive, string name, JsonObject json)
        => Write(archive, name, System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));

    /// <summary>Reads entry <paramref name="name"/>.</summary>
    /// <param name="archive">The model zip.</param>
    /// <param name="name">The entry name.</param>
    /// <exception cref="InvalidDataException">The entry is missing.</exception>
    public static byte[] Read(ZipArchive archive, string name)
    {
        var entry = archive.GetEntry(name) ?? throw new InvalidDataException($"The model has no entry '{name}'; it was not saved by MLNetInference or is damaged.");
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Reads entry <paramref name="name"/> as a JSON object.</summary>
    /// <param name="archive">The model zip.</param>
    /// <param name="name">The entry name.</param>
    /// <exception cref="InvalidDataException">The entry is missing or not a JSON object.</exception>
    public static JsonObject ReadJson(ZipArchive archive, string name)
    {
        try
        {
            return JsonNode.Parse(Read(archive, name)) as JsonObject
                ?? throw new InvalidDataException($"Entry '{name}' is not a JSON object.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidDataException($"Entry '{name}' is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Returns property <paramref name="property"/> of <paramref name="json"/>, read from entry <paramref name="entryName"/>.</summary>
    /// <typeparam name="T">The property type.</typeparam>
    /// <param name="json">The JSON object.</param>
    /// <param name="property">The property name.</param>
    /// <param name="entryName">The entry name, for messages.</param>
    /// <exception cref="InvalidDataException">The property is missing or has the wrong type.</exception>
    public static T GetRequired<T>(JsonObject json, string property, string entryName)
    {
        try
        {
            return json[property] is { } node ? node.GetValue<T>() : throw new InvalidDataException($"Entry '{entryName}' has no '{property}'.");
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Entry '{entryName}' has a malformed '{property}': {ex.Message}", ex);
        }
    }
}
