using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;
using MLNetInference.Pipeline.Text;
using MLNetInference.Tuning.Internal;

namespace MLNetInference.Tuning;

/// <summary>Makes the tuner's sample data: one feed (input name → tensor of batch 1) per request.</summary>
public static class TuningSamples
{
    private const string InputIds = "input_ids";
    private const string AttentionMask = "attention_mask";
    private const string TokenTypeIds = "token_type_ids";

    /// <summary>
    /// Tokenizes sentences for a BERT-style model: <c>input_ids</c> ([CLS] … [SEP]), <c>attention_mask</c> (ones) and
    /// <c>token_type_ids</c> (zeros), each int64 [1, tokens], at their exact lengths.
    /// </summary>
    /// <param name="sentences">The sentences; blank ones are skipped.</param>
    /// <param name="vocabularyPath">The WordPiece vocabulary (<c>vocab.txt</c>).</param>
    /// <param name="maxTokens">The longest token sequence, special tokens included; longer sentences are cut, and still end with [SEP]. Default 128.</param>
    /// <param name="lowerCase">Whether the model is uncased. Default <see langword="true"/>.</param>
    /// <returns>One feed per non-blank sentence.</returns>
    /// <remarks>
    /// The sentences go through the same tokenizer as the served pipeline (<c>TokenizeForBert</c>, the first stage of
    /// <c>EmbedSentences</c>) and <c>optimize --calibration-text</c>, so the tuner measures accuracy on the token ids
    /// its model will see, symbols such as <c>$ = + &lt; &gt;</c> included.
    /// </remarks>
    /// <exception cref="ArgumentException">There are no non-blank sentences, or the vocabulary does not exist.</exception>
    /// <exception cref="TextInputException">A sentence has no token at all (only control characters).</exception>
    public static IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> FromSentences(IEnumerable<string> sentences, string vocabularyPath, int maxTokens = 128, bool lowerCase = true)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentException.ThrowIfNullOrEmpty(vocabularyPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 3);
        if (!File.Exists(vocabularyPath))
        {
            throw new ArgumentException($"The vocabulary '{vocabularyPath}' does not exist.", nameof(vocabularyPath));
        }

        var rows = sentences.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => new SentenceRow { Text = s }).ToList();
        if (rows.Count == 0)
        {
            throw new ArgumentException("No non-empty sentence was given.", nameof(sentences));
        }

        var mlContext = new MLContext();
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var tokenized = mlContext.Transforms.TokenizeForBert(nameof(SentenceRow.Text), vocabularyPath, maxTokens, lowerCase).Fit(data).Transform(data);
        return FromDataView(tokenized, [InputIds, AttentionMask, TokenTypeIds], rows.Count);
    }

    /// <summary>
    /// Reads feeds from an ML.NET data view: every column named after a model input (a vector or scalar of float,
    /// double, int64 or int32) becomes that input, shaped [1, length].
    /// </summary>
    /// <param name="data">The data view.</param>
    /// <param name="inputNames">The model's input names, each a column of <paramref name="data"/>.</param>
    /// <param name="maxRows">The most rows read. Default 64.</param>
    /// <returns>One feed per row.</returns>
    /// <exception cref="ArgumentException">A column is missing or has an unsupported type.</exception>
    public static IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> FromDataView(IDataView data, IReadOnlyList<string> inputNames, int maxRows = 64)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(inputNames);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        var columns = inputNames.Select(name => data.Schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The data view has no column '{name}'; its columns are {string.Join(", ", data.Schema.Select(c => c.Name))}.", nameof(inputNames))).ToArray();
        var feeds = new List<IReadOnlyDictionary<string, SampleTensor>>();
        using var cursor = data.GetRowCursor(columns);
        var readers = columns.Select(c => Reader(cursor, c)).ToArray();
        while (feeds.Count < maxRows && cursor.MoveNext())
        {
            var feed = new Dictionary<string, SampleTensor>(StringComparer.Ordinal);
            for (var c = 0; c < columns.Length; c++)
            {
                var values = readers[c]();
                feed[columns[c].Name] = new SampleTensor(values, [1, values.Length]);
            }

            feeds.Add(feed);
        }

        return feeds;
    }

    private static Func<Array> Reader(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var type = column.Type is VectorDataViewType vector ? vector.ItemType.RawType : column.Type.RawType;
        var isVector = column.Type is VectorDataViewType;
        return type switch
        {
            _ when type == typeof(float) => Read<float>(cursor, column, isVector),
            _ when type == typeof(double) => Read<double>(cursor, column, isVector),
            _ when type == typeof(long) => Read<long>(cursor, column, isVector),
            _ when type == typeof(int) => Read<int>(cursor, column, isVector),
            _ => throw new ArgumentException($"Column '{column.Name}' has type {column.Type}; the tuner reads float, double, int64 and int32 columns."),
        };
    }

    private static Func<Array> Read<T>(DataViewRowCursor cursor, DataViewSchema.Column column, bool isVector)
    {
        if (isVector)
        {
            var getter = cursor.GetGetter<VBuffer<T>>(column);
            VBuffer<T> buffer = default;
            return () =>
            {
                getter(ref buffer);
                return buffer.DenseValues().ToArray();
            };
        }

        var scalar = cursor.GetGetter<T>(column);
        return () =>
        {
            T value = default!;
            scalar(ref value);
            return new[] { value };
        };
    }
}
