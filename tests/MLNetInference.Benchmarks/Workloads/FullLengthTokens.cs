using Microsoft.ML;
using MLNetInference.Models;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>Rows of real text tokenized to exactly a given length (concatenated corpus sentences), per model input.</summary>
internal static class FullLengthTokens
{
    /// <summary>Tokenizes <paramref name="rows"/> texts of 12 concatenated corpus sentences to <paramref name="sequenceLength"/> tokens each.</summary>
    /// <returns>For each input name, the rows' token arrays.</returns>
    public static long[][][] Rows(IReadOnlyList<string> inputNames, int rows, int sequenceLength)
    {
        var sentences = SentenceCorpus.Load(rows * 12);
        var texts = Enumerable.Range(0, rows)
            .Select(r => new TextRow { Text = string.Join(' ', sentences.Skip(r * 12).Take(12)) })
            .ToList();
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(texts);
        var tokenized = ml.Transforms.TokenizeForBert(nameof(TextRow.Text), ModelPaths.MiniLmVocab, maxLength: sequenceLength).Fit(data).Transform(data);

        var byInput = new long[inputNames.Count][][];
        for (var i = 0; i < inputNames.Count; i++)
        {
            byInput[i] = [.. DataViewReader.ReadVectors<long>(tokenized, inputNames[i])];
            foreach (var row in byInput[i])
            {
                if (row.Length != sequenceLength)
                {
                    throw new InvalidOperationException($"Expected {sequenceLength} tokens per row for '{inputNames[i]}', got {row.Length}; concatenate more sentences.");
                }
            }
        }

        return byInput;
    }
}
