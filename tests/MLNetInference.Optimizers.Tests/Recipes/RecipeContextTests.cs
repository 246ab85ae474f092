using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Tests.Quantization;
using MLNetInference.Optimizers.Tests.Quantization.Static;

namespace MLNetInference.Optimizers.Tests.Recipes;

[TestClass]
public sealed class RecipeContextTests
{
    private static readonly float[] W = SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, 2, 0.5f);
    private static readonly float[] Bias = SmallGraphs.Random(SmallGraphs.Columns, 3);

    [TestMethod]
    [DataRow(true, 1)]
    [DataRow(false, 0)]
    public void CreatePasses_Int8Options_DynamicStepQuantizesWithThem(bool perChannel, int scaleRank)
    {
        var model = SmallGraphs.MatMulAdd(W, Bias);

        OptimizationRecipe.Parse("int8-dynamic").CreatePasses(new RecipeContext { Int8 = new DynamicInt8Options { PerChannel = perChannel } }).Run(model);

        var node = model.Graph.Node.Single(n => n.OpType == "DynamicQuantizeMatMul");
        Assert.HasCount(scaleRank, model.Graph.Initializer.Single(i => i.Name == node.Input[2]).Dims);
    }

    [TestMethod]
    [DataRow("int8-dynamic")]
    [DataRow("int4-weights")]
    [DataRow("int8-static")]
    public void CreatePasses_KeepInFloat_EveryQuantizingStepLeavesTheNodeFloat(string recipe)
    {
        var model = SmallGraphs.MatMulAdd(W, Bias);

        OptimizationRecipe.Parse(recipe).CreatePasses(new RecipeContext { KeepInFloat = ["matmul"] }).Run(model);

        Assert.AreEqual("MatMul", model.Graph.Node.Single(n => n.Name == "matmul").OpType, recipe);
        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear"), recipe);
    }

    [TestMethod]
    public void CreatePasses_KeepInFloat_AddsToTheOptionsOwnExclusions()
    {
        var model = SmallGraphs.MatMulAdd(W, Bias);
        var options = new DynamicInt8Options { ExcludedNodeNames = ["other"] };

        OptimizationRecipe.Parse("int8-dynamic").CreatePasses(new RecipeContext { Int8 = options, KeepInFloat = ["matmul"] }).Run(model);

        Assert.AreEqual("MatMul", model.Graph.Node.Single(n => n.Name == "matmul").OpType);
        CollectionAssert.AreEqual(new[] { "other" }, options.ExcludedNodeNames.ToArray(), "the caller's options are not changed");
    }

    [TestMethod]
    [DataRow(16)]
    [DataRow(64)]
    public void CreatePasses_Int4Options_StepUsesThem(int blockSize)
    {
        var model = SmallGraphs.MatMulAdd(W, Bias);
        var context = new RecipeContext { Int4 = new Int4Options { BlockSize = blockSize } };

        OptimizationRecipe.Parse("int4-weights").CreatePasses(context).Run(model);

        var node = model.Graph.Node.Single(n => n.OpType == "MatMulNBits");
        Assert.AreEqual(blockSize, node.Attribute.Single(a => a.Name == "block_size").I);
    }

    [TestMethod]
    public void CreatePasses_NoInt4Options_StepUsesTheRecipeDefault()
    {
        var model = OnnxModelIO.Parse(ZooModels.Get("bert-opset13-pt1").Model);
        var weightMatMuls = model.Graph.Node.Count(n => n.OpType == "MatMul" && model.Graph.Initializer.Any(i => i.Name == n.Input[1]));

        OptimizationRecipe.Parse("int4-weights").CreatePasses(RecipeContext.Default).Run(model);

        var nbits = model.Graph.Node.Where(n => n.OpType == "MatMulNBits").ToList();
        Assert.IsGreaterThan(Int4Options.RecipeDefaultKeepInFloat, weightMatMuls);
        Assert.IsGreaterThanOrEqualTo(weightMatMuls - Int4Options.RecipeDefaultKeepInFloat, nbits.Count);
        Assert.IsLessThan(weightMatMuls, nbits.Count, "the default keeps the most sensitive MatMuls float");
        foreach (var node in nbits)
        {
            Assert.AreEqual(16L, node.Attribute.Single(a => a.Name == "block_size").I);
            Assert.IsFalse(node.Attribute.Any(a => a.Name == "accuracy_level"), "accuracy_level 0: ONNX Runtime's choice");
            Assert.AreEqual(4, node.Input.Count, "asymmetric blocks carry zero points (A, B, scales, zero points)");
        }
    }

    [TestMethod]
    [DataRow("fuse+int8-dynamic")]
    [DataRow("fuse+int8-static")]
    [DataRow("fuse+int4-weights")]
    public void CreatePasses_WithoutQuantization_BuildsTheGraphRewritesOnly(string recipe)
    {
        var withQuantization = OptimizationRecipe.Parse(recipe).CreatePasses().Passes;
        var without = OptimizationRecipe.Parse(recipe).CreatePasses(new RecipeContext { IncludeQuantization = false }).Passes;

        Assert.IsTrue(withQuantization.Any(IsQuantizing), recipe);
        Assert.IsFalse(without.Any(IsQuantizing), recipe);
        CollectionAssert.AreEqual(
            withQuantization.Where(p => !IsQuantizing(p)).Select(p => p.Name).ToArray(),
            without.Select(p => p.Name).ToArray(),
            "the fusion is the one the full recipe runs");
    }

    [TestMethod]
    public void CreatePasses_Calibration_StaticStepCalibratesOnItWithItsOptions()
    {
        var calibration = new CalibrationData(StaticSmallCnn.Inputs(2, seed: 1), new StaticInt8Options { Method = CalibrationMethod.Percentile });

        var pass = OptimizationRecipe.Parse("int8-static").CreatePasses(new RecipeContext { Calibration = calibration }).Passes.OfType<StaticInt8QuantizationPass>().Single();

        Assert.AreSame(calibration.Samples, pass.Calibration);
        Assert.AreEqual(CalibrationMethod.Percentile, pass.Options.Method);
    }

    private static bool IsQuantizing(MLNetInference.Optimizers.Passes.ModelPass pass) =>
        pass is DynamicInt8QuantizationPass or QAttentionQuantizationPass or StaticInt8QuantizationPass or Int4WeightQuantizationPass;
}
