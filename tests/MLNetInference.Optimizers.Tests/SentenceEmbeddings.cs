using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Optimizers.Tests;

/// <summary>Pooled sentence embeddings through the library's own ML.NET pipeline, for judging optimized encoders on real text.</summary>
internal static class SentenceEmbeddings
{
    /// <summary>Embeds each sentence with <c>EmbedSentences</c> (tokenize, score, mean-pool, normalize).</summary>
    public static List<float[]> Embed(string modelPath, string vocabPath, IEnumerable<string> sentences)
    {
        var ml = new MLContext(seed: 0);
        var data = Load(ml, sentences);
        return [.. ml.Transforms.EmbedSentences(nameof(SentenceRow.Text), modelPath, vocabPath).Fit(data).Transform(data).GetColumn<float[]>("embedding")];
    }

    /// <summary>Loads sentences as an <see cref="IDataView"/> with one text column, <see cref="TextColumn"/>.</summary>
    public static IDataView Load(MLContext ml, IEnumerable<string> sentences) => ml.Data.LoadFromEnumerable(sentences.Select(s => new SentenceRow { Text = s }));

    /// <summary>The name of the text column of <see cref="Load"/>.</summary>
    public const string TextColumn = nameof(SentenceRow.Text);

    private sealed class SentenceRow
    {
        public string Text { get; set; } = string.Empty;
    }
}
