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
        typeof(MLNetInference.Core.Runtime.BatchRunner).Assembly.GetName().Version,
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

    /// <summary>Gets or sets the clock that measures what a computed entry cost (the search's clock); wall time when null.</summary>
    public Func<TimeSpan>? Clock { get; set; }

    /// <summary>
    /// Gets the time the cached entries read so far once cost to compute. The search counts it against its budget, so
    /// that a rerun makes the same budget decisions as the run that filled the cache, and so measures nothing new.
    /// </summary>
    public TimeSpan ReplayedTime { get; private set; }

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
                if (JsonSerializer.Deserialize<Entry<T>>(File.ReadAllText(file)) is { Value: { } value } entry)
                {
                    Hits++;
                    ReplayedTime += TimeSpan.FromSeconds(entry.Seconds);
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
        var clock = Clock ?? WallClock();
        var start = clock();
        var result = compute();
        var seconds = (clock() - start).TotalSeconds;
        if (file is not null)
        {
            var temporary = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(new Entry<T> { Seconds = seconds, Value = result }));
            File.Move(temporary, file, overwrite: true);
        }

        return result;
    }

    private static Func<TimeSpan> WallClock()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        return () => watch.Elapsed;
    }

    private sealed class Entry<T>
    {
        public double Seconds { get; set; }

        public T? Value { get; set; }
    }
}
