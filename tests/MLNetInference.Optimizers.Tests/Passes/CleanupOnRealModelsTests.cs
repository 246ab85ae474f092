using Microsoft.ML.OnnxRuntime;
using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Passes;

[TestClass]
public sealed class CleanupOnRealModelsTests
{
    [TestMethod]
    [DataRow("minilm")]
    [DataRow("resnet18")]
    public void CleanupPipeline_RealModel_NodeCountDoesNotGrowAndOutputsMatch(string which)
    {
        var path = which == "minilm" ? ModelPaths.MiniLmModel : ModelPaths.ResNet18Model;
        var original = File.ReadAllBytes(path);
        var model = OnnxModelIO.Parse(original, path);
        var before = model.Graph.Node.Count;
        var identities = model.Graph.Node.Count(n => n.OpType is "Identity" or "Dropout");
        var manager = new PassManager([new RemoveIdentityAndDropout(), new DeadCodeElimination()]);

        manager.Run(model);

        var after = model.Graph.Node.Count;
        Assert.IsTrue(manager.LastReport!.ReachedFixpoint);
        Assert.IsLessThanOrEqualTo(before, after);
        Assert.IsLessThanOrEqualTo(before - identities + model.Graph.Node.Count(n => n.OpType is "Identity" or "Dropout"), after);
        var report = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(model), new SampleInputOptions { SampleCount = 1, BatchSize = 1, SequenceLength = 8 });
        Assert.IsTrue(report.AllCompared, string.Join("; ", report.Outputs.Select(o => o.Problem)));
        Assert.IsLessThanOrEqualTo(1e-5, report.MaxAbsDiff);
        Assert.IsGreaterThanOrEqualTo(0.9999, report.MinCosine);
        Assert.AreEqual(1d, report.Top1Agreement);
        Console.WriteLine($"{which}: {before} -> {after} nodes ({identities} Identity/Dropout before); max abs diff {report.MaxAbsDiff:G3}");
    }

    [TestMethod]
    public void CleanupPipeline_MiniLmWithInsertedIdentitiesAndDeadBranch_BackToOriginalNodeCountAndValues()
    {
        var original = File.ReadAllBytes(ModelPaths.MiniLmModel);
        var model = OnnxModelIO.Parse(original);
        var before = model.Graph.Node.Count;
        var graph = new MLNetInference.Core.Graph.OnnxGraph(model);

        // An Identity in front of every graph output, one after every MatMul, and a dead Dropout branch.
        foreach (var output in graph.Outputs)
        {
            var inner = graph.GenerateUniqueName(output + "_pre");
            graph.RenameValue(output, inner);
            graph.Proto.Output.Single(o => o.Name == inner).Name = output; // RenameValue renamed the graph output too.
            graph.AddNode("Identity", [inner], [output]);
        }

        foreach (var matMul in graph.Nodes.Where(n => n.OpType == "MatMul").ToArray())
        {
            var result = matMul.Output[0];
            var copy = graph.GenerateUniqueName(result + "_copy");
            graph.ReplaceAllUses(result, copy);
            graph.AddNode("Identity", [result], [copy]);
        }

        var someValue = graph.Nodes[0].Output[0];
        graph.AddNode("Dropout", [someValue], [graph.GenerateUniqueName("dead")]);
        graph.Commit();
        var inflated = model.Graph.Node.Count;
        var manager = new PassManager([new RemoveIdentityAndDropout(), new DeadCodeElimination()]);

        Assert.IsTrue(manager.Run(model));

        Assert.IsGreaterThan(before + 10, inflated);
        Assert.AreEqual(before, model.Graph.Node.Count);
        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType is "Identity" or "Dropout"));
        var report = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(model), new SampleInputOptions { SampleCount = 1, BatchSize = 2, SequenceLength = 8 });
        Assert.IsTrue(report.AllCompared, string.Join("; ", report.Outputs.Select(o => o.Problem)));
        Assert.IsLessThanOrEqualTo(1e-5, report.MaxAbsDiff);
        Assert.IsGreaterThanOrEqualTo(0.9999, report.MinCosine);
    }

    [TestMethod]
    public void MakeBatchSymbolic_ResNet18_RunsBatchTwoMatchingBatchOne()
    {
        var original = File.ReadAllBytes(ModelPaths.ResNet18Model);
        var model = OnnxModelIO.Parse(original);
        var pass = new MakeBatchSymbolic();

        Assert.IsTrue(pass.Run(model), pass.LastMessage);
        Assert.IsFalse(pass.Run(model), "the second run has nothing left to rewrite");
        var symbolic = OnnxModelIO.ToBytes(model);

        var batch = SampleInputGenerator.Generate(symbolic, new SampleInputOptions { SampleCount = 1, BatchSize = 2 })[0];
        var (inputName, input) = batch.Single();
        Assert.AreEqual(2L, input.Shape[0]);
        var data = (float[])input.Data;
        var rowLength = data.Length / 2;
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var batched = new InferenceSession(symbolic, options);
        using var single = new InferenceSession(original, options);
        var both = RunFirstOutput(batched, inputName, data, input.Shape);
        for (var row = 0; row < 2; row++)
        {
            var one = RunFirstOutput(single, inputName, data.AsSpan(row * rowLength, rowLength).ToArray(), [1, .. input.Shape[1..]]);
            var width = one.Length;
            for (var i = 0; i < width; i++)
            {
                Assert.AreEqual(one[i], both[(row * width) + i], 1e-4f, $"row {row}, element {i}");
            }
        }
    }

    private static float[] RunFirstOutput(InferenceSession session, string inputName, float[] data, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        var outputName = session.OutputNames[0];
        using var results = session.Run(runOptions, [inputName], [value], [outputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
