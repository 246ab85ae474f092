using MLNetInference.Models.Tests.Internal;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Models.Tests;

[TestClass]
public sealed class FixtureModelsTests
{
    private const float Tolerance = 1e-4f;

    [TestMethod]
    public void Create_EveryName_IsDeterministicSmallOpset17Model()
    {
        foreach (var name in FixtureModels.Names)
        {
            var bytes = FixtureModels.Create(name);
            var model = OnnxModelIO.Parse(bytes, name);

            CollectionAssert.AreEqual(bytes, FixtureModels.Create(name), name);
            Assert.IsLessThan(1024 * 1024, bytes.Length, name);
            Assert.AreEqual(8L, model.IrVersion, name);
            Assert.AreEqual(17L, model.OpsetImport.Single(o => o.Domain.Length == 0).Version, name);
        }
    }

    [TestMethod]
    public void Create_UnknownName_ThrowsArgumentException()
    {
        Assert.ThrowsExactly<ArgumentException>(() => FixtureModels.Create("no-such-model"));
    }

    [TestMethod]
    public void EnsureFile_EveryName_WritesModelUnderCacheFixtures()
    {
        foreach (var name in FixtureModels.Names)
        {
            var path = FixtureModels.EnsureFile(name);

            Assert.AreEqual(Path.Combine(ModelPaths.CacheDirectory, "fixtures", name + ".onnx"), path);
            CollectionAssert.AreEqual(FixtureModels.Create(name), File.ReadAllBytes(path), name);
        }
    }

    [TestMethod]
    public void EnsureFile_ManyThreads_AllSeeCompleteFile()
    {
        var paths = new string[8];
        Parallel.For(0, paths.Length, i => paths[i] = FixtureModels.EnsureFile(FixtureModels.SmallMlpName));

        Assert.AreEqual(1, paths.Distinct().Count());
        CollectionAssert.AreEqual(FixtureModels.SmallMlp(), File.ReadAllBytes(paths[0]));
    }

    [TestMethod]
    public void WriteTo_Folder_WritesEveryFixture()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"fixtures-{Guid.NewGuid():N}");
        try
        {
            var paths = FixtureModels.WriteTo(folder);

            Assert.HasCount(FixtureModels.Names.Count, paths);
            Assert.IsTrue(paths.All(File.Exists));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TinyTextEncoder_BatchOfTwoWithPadding_PooledIsSumOfMaskedRows()
    {
        const int hidden = FixtureModels.TextEncoderHiddenSize;
        var model = FixtureModels.TinyTextEncoder();
        var wordEmbedding = Initializer(model, "word_emb");
        var typeEmbedding = Initializer(model, "type_emb");
        long[] ids = [5, 17, 999, 0, 3, 4, 0, 0];
        long[] mask = [1, 1, 1, 0, 1, 1, 0, 0];
        long[] types = [0, 0, 1, 0, 0, 1, 0, 0];

        var outputs = OrtRunner.Run(
            model,
            ("input_ids", OrtRunner.Int64(ids, 2, 4)),
            ("attention_mask", OrtRunner.Int64(mask, 2, 4)),
            ("token_type_ids", OrtRunner.Int64(types, 2, 4)));

        CollectionAssert.AreEqual(new long[] { 2, 4, hidden }, outputs["last_hidden_state"].Shape);
        CollectionAssert.AreEqual(new long[] { 2, hidden }, outputs["pooled"].Shape);
        for (var b = 0; b < 2; b++)
        {
            // e[i] = (word[id] + type[t]) * m; h[i] = (e[i] + 0.5 * Σ e) * m; pooled = Σ h.
            var embedded = new float[4, hidden];
            var context = new float[hidden];
            for (var i = 0; i < 4; i++)
            {
                var row = (b * 4) + i;
                for (var k = 0; k < hidden; k++)
                {
                    embedded[i, k] = (wordEmbedding[(ids[row] * hidden) + k] + typeEmbedding[(types[row] * hidden) + k]) * mask[row];
                    context[k] += embedded[i, k];
                }
            }

            for (var k = 0; k < hidden; k++)
            {
                var pooled = 0f;
                for (var i = 0; i < 4; i++)
                {
                    var expected = (embedded[i, k] + (0.5f * context[k])) * mask[(b * 4) + i];
                    Assert.AreEqual(expected, outputs["last_hidden_state"].Values[(((b * 4) + i) * hidden) + k], Tolerance);
                    pooled += expected;
                }

                Assert.AreEqual(pooled, outputs["pooled"].Values[(b * hidden) + k], Tolerance);
            }
        }
    }

    [TestMethod]
    public void TinyTextEncoder_MaskedPaddingRemoved_PooledUnchanged()
    {
        var model = FixtureModels.TinyTextEncoder();

        var padded = OrtRunner.Run(
            model,
            ("input_ids", OrtRunner.Int64([3, 4, 7, 9], 1, 4)),
            ("attention_mask", OrtRunner.Int64([1, 1, 0, 0], 1, 4)),
            ("token_type_ids", OrtRunner.Int64([0, 1, 0, 1], 1, 4)));
        var unpadded = OrtRunner.Run(
            model,
            ("input_ids", OrtRunner.Int64([3, 4], 1, 2)),
            ("attention_mask", OrtRunner.Int64([1, 1], 1, 2)),
            ("token_type_ids", OrtRunner.Int64([0, 1], 1, 2)));
        var unmasked = OrtRunner.Run(
            model,
            ("input_ids", OrtRunner.Int64([3, 4, 7, 9], 1, 4)),
            ("attention_mask", OrtRunner.Int64([1, 1, 1, 1], 1, 4)),
            ("token_type_ids", OrtRunner.Int64([0, 1, 0, 1], 1, 4)));

        AssertClose(unpadded["pooled"].Values, padded["pooled"].Values);
        AssertClose(unpadded["last_hidden_state"].Values, padded["last_hidden_state"].Values.AsSpan(0, 2 * FixtureModels.TextEncoderHiddenSize).ToArray());
        Assert.AreNotEqual(unmasked["last_hidden_state"].Values[0], padded["last_hidden_state"].Values[0]);
    }

    [TestMethod]
    public void TinyFixedBatchImage_BatchOfOne_MatchesHandComputedFeatures()
    {
        var model = FixtureModels.TinyFixedBatchImage();
        var weights = Initializer(model, "conv_w");
        var bias = Initializer(model, "conv_b");
        var image = new float[3 * 8 * 8];
        for (var i = 0; i < image.Length; i++)
        {
            image[i] = ((i * 37) % 17 / 8f) - 1f;
        }

        var outputs = OrtRunner.Run(model, ("image", OrtRunner.Float(image, 1, 3, 8, 8)));

        CollectionAssert.AreEqual(new long[] { 1, 4 }, outputs["features"].Shape);
        for (var f = 0; f < 4; f++)
        {
            var sum = 0f;
            for (var y = 0; y < 8; y++)
            {
                for (var x = 0; x < 8; x++)
                {
                    var value = bias[f];
                    for (var c = 0; c < 3; c++)
                    {
                        for (var dy = -1; dy <= 1; dy++)
                        {
                            for (var dx = -1; dx <= 1; dx++)
                            {
                                if (y + dy is >= 0 and < 8 && x + dx is >= 0 and < 8)
                                {
                                    value += weights[(((((f * 3) + c) * 3) + dy + 1) * 3) + dx + 1] * image[(((c * 8) + y + dy) * 8) + x + dx];
                                }
                            }
                        }
                    }

                    sum += Math.Max(0f, value);
                }
            }

            Assert.AreEqual(sum / 64f, outputs["features"].Values[f], Tolerance);
        }
    }

    [TestMethod]
    public void TinyFixedBatchUnsafe_BatchOfOne_SumsEachHalf()
    {
        var outputs = OrtRunner.Run(FixtureModels.TinyFixedBatchUnsafe(), ("x", OrtRunner.Float([1, 2, 3, 10, 20, 30], 1, 6)));

        CollectionAssert.AreEqual(new long[] { 1, 2 }, outputs["y"].Shape);
        AssertClose([6f, 60f], outputs["y"].Values);
    }

    [TestMethod]
    public void TinyFixedBatchUnsafe_Graph_PinsBatchInReshapeConstant()
    {
        var model = OnnxModelIO.Parse(FixtureModels.TinyFixedBatchUnsafe());

        Assert.IsTrue(TensorData.TryReadInt64(model.Graph.Initializer.Single(t => t.Name == "reshape_shape"), out var shape));
        CollectionAssert.AreEqual(new long[] { 1, 2, 3 }, shape);
    }

    [TestMethod]
    public void SmallMlp_BatchOfTwo_MatchesHandComputedScores()
    {
        const int inputs = FixtureModels.SmallMlpInputSize;
        const int hidden = FixtureModels.SmallMlpHiddenSize;
        const int outputs = FixtureModels.SmallMlpOutputSize;
        var model = FixtureModels.SmallMlp();
        var w1 = Initializer(model, "w1");
        var b1 = Initializer(model, "b1");
        var w2 = Initializer(model, "w2");
        var b2 = Initializer(model, "b2");
        var features = new float[2 * inputs];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = MathF.Sin(i);
        }

        var result = OrtRunner.Run(model, ("features", OrtRunner.Float(features, 2, inputs)));

        CollectionAssert.AreEqual(new long[] { 2, outputs }, result["scores"].Shape);
        for (var b = 0; b < 2; b++)
        {
            var h = new float[hidden];
            for (var j = 0; j < hidden; j++)
            {
                h[j] = b1[j];
                for (var i = 0; i < inputs; i++)
                {
                    h[j] += features[(b * inputs) + i] * w1[(i * hidden) + j];
                }

                h[j] = Math.Max(0f, h[j]);
            }

            for (var o = 0; o < outputs; o++)
            {
                var expected = b2[o];
                for (var j = 0; j < hidden; j++)
                {
                    expected += h[j] * w2[(j * outputs) + o];
                }

                Assert.AreEqual(expected, result["scores"].Values[(b * outputs) + o], Tolerance);
            }
        }
    }

    private static float[] Initializer(byte[] model, string name)
    {
        var tensor = OnnxModelIO.Parse(model).Graph.Initializer.Single(t => t.Name == name);
        Assert.IsTrue(TensorData.TryReadFloat(tensor, out var values));
        return values;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.HasCount(expected.Length, actual);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], Tolerance, $"index {i}");
        }
    }
}
