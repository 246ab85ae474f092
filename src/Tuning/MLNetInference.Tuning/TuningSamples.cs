using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Tokenizers;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Tuning;

/// <summary>Makes the tuner's sample data: one feed (input name → tensor of batch 1) per request.</summary>
public static class TuningSamples
{
    /// <summary>
    /// Tokenizes sentences for a BERT-style model: <c>input_ids</c> ([CLS] … [SEP]), <c>attention_mask</c> (ones) and
    /// <c>token_type_ids</c> (zeros), each int64 [1, tokens], at their exact lengths.
    /// </summary>
    /// <param name="sentences">The sentences.</param>
    /// <param name="vocabularyPath">The WordPiece vocabulary (<c>vocab.txt</c>).</param>
    /// <param name="maxTokens">The longest token sequence, special tokens included. Default 128.</param>
    /// <param name="lowerCase">Whether the model is uncased. Default <see langword="true"/>.</param>
    /// <returns>One feed per sentence.</returns>
    /// <exception cref="ArgumentException">There are no sentences, or the vocabulary does not exist.</exception>
    public static IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> FromSentences(IEnumerable<string> sentences, string vocabularyPath, int maxTokens = 128, bool lowerCase = true)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentException.ThrowIfNullOrEmpty(vocabularyPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 3);
        if (!File.Exists(vocabularyPath))
        {
            throw new ArgumentException($"The vocabulary '{vocabularyPath}' does not exist.", nameof(vocabularyPath));
        }

        var tokenizer = BertTokenizer.Create(vocabularyPath, new BertOptions { LowerCaseBeforeTokenization = lowerCase });
        var feeds = new List<IReadOnlyDictionary<string, SampleTensor>>();
        foreach (var sentence in sentences)
        {
            if (string.IsNullOrWhiteSpace(sentence))
            {
                continue;
            }

            var ids = tokenizer.EncodeToIds(sentence, addSpecialTokens: true);
            var length = Math.Min(ids.Count, maxTokens);
            var tokens = new long[length];
            for (var i = 0; i < length; i++)
            {
                tokens[i] = ids[i];
            }

            if (length < ids.Count)
            {
                tokens[^1] = ids[^1];
            }

            var mask = new long[length];
            Array.Fill(mask, 1L);
            long[] shape = [1, length];
            feeds.Add(new Dictionary<string, SampleTensor>(StringComparer.Ordinal)
            {
                ["input_ids"] = new(tokens, shape),
                ["attention_mask"] = new(mask, shape),
                ["token_type_ids"] = new(new long[length], shape),
            });
        }

        if (feeds.Count == 0)
        {
            throw new ArgumentException("No non-empty sentence was given.", nameof(sentences));
        }

        return feeds;
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
