using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Models.Tests;

[TestClass]
public sealed class ModelPathsTests
{
    [TestMethod]
    public void CacheDirectory_InRepository_IsModelsCacheNextToSolution()
    {
        var cache = new DirectoryInfo(ModelPaths.CacheDirectory);

        Assert.AreEqual("cache", cache.Name);
        Assert.AreEqual("models", cache.Parent!.Name);
        Assert.IsTrue(File.Exists(Path.Combine(cache.Parent.Parent!.FullName, "MLNetInference.sln")));
    }

    [TestMethod]
    public void MiniLmModel_Loaded_HasDynamicBatchAndSequenceInputs()
    {
        var path = ModelPaths.MiniLmModel;
        Assert.IsTrue(path.StartsWith(ModelPaths.CacheDirectory, StringComparison.Ordinal));

        using var session = new InferenceSession(path);

        CollectionAssert.AreEquivalent(new[] { "input_ids", "attention_mask", "token_type_ids" }, session.InputMetadata.Keys.ToArray());
        foreach (var (name, input) in session.InputMetadata)
        {
            Assert.AreEqual(typeof(long), input.ElementType, name);
            CollectionAssert.AreEqual(new[] { -1, -1 }, input.Dimensions, name);
            Assert.HasCount(2, input.SymbolicDimensions, name);
            Assert.IsTrue(input.SymbolicDimensions.All(d => d.Length > 0), name);
        }
    }

    [TestMethod]
    public void MiniLmVocab_Read_IsBertUncasedWordPieceVocabulary()
    {
        var lines = File.ReadAllLines(ModelPaths.MiniLmVocab);

        Assert.AreEqual("[PAD]", lines[0]);
        Assert.AreEqual(30522, lines.Length);
        Assert.AreEqual(101, Array.IndexOf(lines, "[CLS]"));
        Assert.AreEqual(102, Array.IndexOf(lines, "[SEP]"));
    }

    [TestMethod]
    public void ResNet18Model_Loaded_HasFixedBatchImageInput()
    {
        using var session = new InferenceSession(ModelPaths.ResNet18Model);

        var input = session.InputMetadata.Single();
        Assert.AreEqual("Input247", input.Key);
        Assert.AreEqual(typeof(float), input.Value.ElementType);
        CollectionAssert.AreEqual(new[] { 1, 3, 224, 224 }, input.Value.Dimensions);
    }

    [TestMethod]
    public void Paths_ReadFromManyThreads_AllAgree()
    {
        var paths = new string[8];
        Parallel.For(0, paths.Length, i => paths[i] = ModelPaths.MiniLmVocab);

        Assert.AreEqual(1, paths.Distinct().Count());
    }
}
