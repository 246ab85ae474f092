using MLNetInference.Models;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Tests.Shared;

/// <summary>Shared model sessions and inputs for the tests; loading MiniLM once per run keeps the suite fast.</summary>
internal static class TestModels
{
    private static readonly Lazy<OnnxModelSession> SharedMiniLm = new(() => new OnnxSessionFactory().Create(ModelPaths.MiniLmModel, new OnnxSessionOptions { IntraOpThreads = 2 }));

    public static OnnxModelSession MiniLm => SharedMiniLm.Value;

    public static string TinyTextEncoderPath => FixtureModels.EnsureFile(FixtureModels.TinyTextEncoderName);

    public static string SmallMlpPath => FixtureModels.EnsureFile(FixtureModels.SmallMlpName);

    /// <summary>BERT-like ids: [CLS], random word pieces, [SEP]; a length of 1 gives [CLS] alone.</summary>
    public static long[] TokenIds(int length, int seed, int vocabulary = 30000)
    {
        var random = new Random(seed);
        var ids = new long[length];
        for (var i = 0; i < length; i++)
        {
            ids[i] = random.Next(Math.Min(1000, vocabulary / 2), vocabulary);
        }

        ids[0] = Math.Min(101, vocabulary - 1);
        if (length > 1)
        {
            ids[^1] = Math.Min(102, vocabulary - 1);
        }

        return ids;
    }

    /// <summary>Rows of (input_ids, attention_mask, token_type_ids) for the given lengths, in runner input order.</summary>
    public static RowTensor[] TextRows(BatchRunner runner, int[] lengths, int vocabulary = 30000)
    {
        var rows = new RowTensor[lengths.Length * runner.InputCount];
        for (var r = 0; r < lengths.Length; r++)
        {
            var ids = TokenIds(lengths[r], r + 1, vocabulary);
            var mask = Enumerable.Repeat(1L, lengths[r]).ToArray();
            var types = new long[lengths[r]];
            rows[(r * runner.InputCount) + runner.IndexOfInput("input_ids")] = new RowTensor(ids);
            rows[(r * runner.InputCount) + runner.IndexOfInput("attention_mask")] = new RowTensor(mask);
            rows[(r * runner.InputCount) + runner.IndexOfInput("token_type_ids")] = new RowTensor(types);
        }

        return rows;
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.AreEqual(a.Length, b.Length, "lengths differ");
        var worst = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }

        return worst;
    }
}
