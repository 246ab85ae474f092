using System.Globalization;
using System.Text.RegularExpressions;

namespace MLNetInference.Consumer.Tests.Internal;

/// <summary>What a README program printed: each sentence's embedding size and first dimensions, and the pairwise similarities.</summary>
/// <param name="Embeddings">One per sentence, in order.</param>
/// <param name="Similarities">The cosine similarity of each pair (i &lt; j).</param>
internal sealed partial record EmbeddingReport(IReadOnlyList<PrintedEmbedding> Embeddings, IReadOnlyDictionary<(int First, int Second), double> Similarities)
{
    /// <summary>Parses the program's output; fails the test when a line is missing or malformed.</summary>
    public static EmbeddingReport Parse(string output)
    {
        var embeddings = new List<PrintedEmbedding>();
        foreach (Match match in EmbeddingLine().Matches(output))
        {
            Assert.AreEqual(embeddings.Count, int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture), $"Embeddings out of order:\n{output}");
            embeddings.Add(new PrintedEmbedding(
                match.Groups["sentence"].Value,
                int.Parse(match.Groups["dims"].Value, CultureInfo.InvariantCulture),
                [.. match.Groups["first"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture))]));
        }

        var similarities = new Dictionary<(int, int), double>();
        foreach (Match match in SimilarityLine().Matches(output))
        {
            similarities[(int.Parse(match.Groups["i"].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups["j"].Value, CultureInfo.InvariantCulture))] =
                double.Parse(match.Groups["cosine"].Value, CultureInfo.InvariantCulture);
        }

        Assert.IsGreaterThanOrEqualTo(3, embeddings.Count, $"Expected at least three 'embedding N: ...' lines:\n{output}");
        Assert.HasCount(embeddings.Count * (embeddings.Count - 1) / 2, similarities, $"Expected a 'similarity i j: ...' line per pair:\n{output}");
        return new EmbeddingReport(embeddings, similarities);
    }

    [GeneratedRegex(@"^embedding (?<index>\d+): (?<dims>\d+) dims, first 8: (?<first>[-0-9. ]+?)  \((?<sentence>.*)\)\r?$", RegexOptions.Multiline)]
    private static partial Regex EmbeddingLine();

    [GeneratedRegex(@"^similarity (?<i>\d+) (?<j>\d+): (?<cosine>-?[0-9.]+)\r?$", RegexOptions.Multiline)]
    private static partial Regex SimilarityLine();
}
