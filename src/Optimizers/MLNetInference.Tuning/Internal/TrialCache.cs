using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MLNetInference.Tuning.Internal;

/// <summary>Measurements stored as small JSON files named by the SHA-256 of everything that determines them.</summary>
internal sealed class TrialCache
{
    private static readonly string Version = string.Join(
        '/',
        typeof(TrialCache).Assembly.GetName().Version,
        typeof(MLNetInference.Optimizers.Recipes.OptimizationRecipe).Assembly.GetName().Version,
        typeof(MLNetInference.Runtime.BatchRunner).Assembly.GetName().Version,
        typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version);

    private readonly string? _folder;

    public TrialCache(string? folder)
    {
        _folder = folder;
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
    }

    public int Hits { get; private set; }

    public int Misses { get; private set; }

    public static string Key(params string[] parts)
    {
        var text = Version + "\n" + string.Join('\n', parts);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    public T GetOrAdd<T>(string kind, string key, Func<T> compute, out bool cached)
        where T : class
    {
        var file = _folder is null ? null : Path.Combine(_folder, $"{kind}-{key}.json");
        if (file is not null && File.Exists(file))
        {
            try
            {
                if (JsonSerializer.Deserialize<T>(File.ReadAllText(file)) is { } value)
                {
                    Hits++;
                    cached = true;
                    return value;
                }
            }
            catch (JsonException)
            {
                // A damaged entry is measured again and overwritten.
            }
        }

        Misses++;
        cached = false;
        var result = compute();
        if (file is not null)
        {
            var temporary = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(result));
            File.Move(temporary, file, overwrite: true);
        }

        return result;
    }
}
