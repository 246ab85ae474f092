using MLNetInference.Models.Internal;

namespace MLNetInference.Models;

/// <summary>
/// Real English text for benchmarks and accuracy checks: the <c>&lt;summary&gt;</c> texts of the XML doc files in the
/// Microsoft.ML package (about 4,000).
/// </summary>
/// <remarks>
/// Each entry is one summary as plain text: tags stripped (a <c>&lt;see cref="T:Microsoft.ML.IDataView"/&gt;</c>
/// becomes <c>IDataView</c>), entities decoded, whitespace collapsed. Entries of fewer than 3 words or that still hold
/// <c>&lt;</c> or <c>&gt;</c> after decoding (code, not prose) are dropped, and duplicates keep their first place. The order is deterministic: doc files sorted by name, then document order.
/// The files are read from the restored package, or else from <c>models/cache/corpus</c>, which the build fills.
/// </remarks>
public static class SentenceCorpus
{
    private const int MinimumWords = 3;

    private static readonly Lazy<IReadOnlyList<string>> All = new(Read, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Loads every sentence of the corpus.</summary>
    /// <returns>The distinct sentences, in the corpus order.</returns>
    /// <exception cref="FileNotFoundException">The Microsoft.ML doc files could not be found; restore the solution.</exception>
    public static IReadOnlyList<string> LoadAll() => All.Value;

    /// <summary>Loads <paramref name="count"/> sentences, starting over from the first when the corpus runs out.</summary>
    /// <param name="count">How many sentences to return; zero or more.</param>
    /// <returns><paramref name="count"/> sentences in the corpus order, repeating it as needed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="FileNotFoundException">The Microsoft.ML doc files could not be found; restore the solution.</exception>
    public static IReadOnlyList<string> Load(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var all = LoadAll();
        var result = new string[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = all[i % all.Count];
        }

        return result;
    }

    private static IReadOnlyList<string> Read()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sentences = new List<string>();
        foreach (var file in FindDocFiles())
        {
            foreach (var summary in SummaryText.ReadSummaries(file))
            {
                // A '<' or '>' left after decoding belongs to code (generics, comparisons), not to prose.
                if (CountWords(summary) >= MinimumWords
                    && summary.AsSpan().IndexOfAny('<', '>') < 0
                    && seen.Add(summary))
                {
                    sentences.Add(summary);
                }
            }
        }

        if (sentences.Count == 0)
        {
            throw new FileNotFoundException("The Microsoft.ML XML doc files hold no summaries; the package is not the expected version.");
        }

        return sentences.AsReadOnly();
    }

    private static string[] FindDocFiles()
    {
        // The restored package is always complete; the cache copy serves where the package folder is gone.
        var folders = new List<string>();
        var package = ModelCache.PackageFolder("MLNetInference.Models.MicrosoftMLPackage");
        if (package is not null)
        {
            folders.Add(Path.Combine(package, "lib", "netstandard2.0"));
        }

        folders.Add(Path.Combine(ModelCache.Directory, "corpus"));

        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }

            var files = Directory.GetFiles(folder, "Microsoft.ML*.xml");
            if (files.Length > 0)
            {
                Array.Sort(files, (a, b) => string.CompareOrdinal(Path.GetFileName(a), Path.GetFileName(b)));
                return files;
            }
        }

        throw new FileNotFoundException(
            "The Microsoft.ML XML doc files were found neither in the model cache nor in the restored Microsoft.ML package. "
            + "Build the solution (or run 'dotnet restore'), then try again.");
    }

    private static int CountWords(string text)
    {
        var words = 1;
        foreach (var c in text)
        {
            if (c == ' ')
            {
                words++;
            }
        }

        return words;
    }
}
