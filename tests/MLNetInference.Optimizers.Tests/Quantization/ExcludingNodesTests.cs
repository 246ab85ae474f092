using System.Reflection;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Static;

namespace MLNetInference.Optimizers.Tests.Quantization;

[TestClass]
public sealed class ExcludingNodesTests
{
    [TestMethod]
    public void DynamicInt8Options_ExcludingNodes_KeepsEveryOtherSettingAndAddsTheNames()
    {
        var options = new DynamicInt8Options { PerChannel = false, ReduceRange = true, WeightType = QuantizedWeightType.UInt8, ExcludedOpTypes = ["Gemm"], ExcludedNodeNames = ["a"], MinimumWeightElements = 7, FoldBias = false };

        AssertCopy(options, options.ExcludingNodes(["b"]));
    }

    [TestMethod]
    public void StaticInt8Options_ExcludingNodes_KeepsEveryOtherSettingAndAddsTheNames()
    {
        var options = new StaticInt8Options { PerChannel = false, ReduceRange = true, QuantizeConnectingOps = false, ExcludedNodeNames = ["a"], MinimumWeightElements = 7, MaxCalibrationSamples = 3, GeneratedSampleCount = 5 };

        AssertCopy(options, options.ExcludingNodes(["b"]));
    }

    [TestMethod]
    public void Int4Options_ExcludingNodes_KeepsEveryOtherSettingAndAddsTheNames()
    {
        var options = new Int4Options { BlockSize = 64, Symmetric = false, ErrorMinimizingScales = false, ExcludedNodeNames = ["a"], MinimumWeightElements = 7 };

        AssertCopy(options, options.ExcludingNodes(["b"]));
    }

    [TestMethod]
    public void DynamicInt8Options_ExcludingNoNodes_ReturnsTheSameInstance()
    {
        var options = new DynamicInt8Options();

        Assert.AreSame(options, options.ExcludingNodes([]));
    }

    private static void AssertCopy<T>(T original, T copy)
        where T : class
    {
        Assert.AreNotSame(original, copy);
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.Name == "ExcludedNodeNames")
            {
                CollectionAssert.AreEquivalent(new[] { "a", "b" }, ((IEnumerable<string>)property.GetValue(copy)!).ToArray());
                CollectionAssert.AreEquivalent(new[] { "a" }, ((IEnumerable<string>)property.GetValue(original)!).ToArray(), "the original keeps its own exclusions");
            }
            else
            {
                Assert.AreEqual(property.GetValue(original), property.GetValue(copy), property.Name);
            }
        }
    }
}
