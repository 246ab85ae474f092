using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Graph;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Passes;

/// <summary>The safety net of a guarded run: a pass that breaks the graph, throws or moves the outputs is undone, named, and the run goes on.</summary>
[TestClass]
public sealed class PassManagerRollbackTests
{
    [TestMethod]
    public void Run_PassRaisesTheOpsetWithoutConvertingOps_IsRolledBackAndTheOthersRun()
    {
        // The failure seen on a real opset-11 export: a pass raised the default opset to 13, leaving Unsqueeze with its
        // axes attribute where opset 13 wants an input.
        var model = OnnxModelIO.Parse(ZooModels.Get("bert-opset11-pt2").Model);
        var manager = new PassManager([new RaiseOpsetPass(), new RemoveIdentityAndDropout()]) { RollBackFailedPasses = true };

        var changed = manager.Run(model);

        Assert.IsTrue(changed, "the identity removal still ran");
        var rollback = manager.LastReport!.RolledBack.Single();
        Assert.AreEqual("raise-opset", rollback.PassName);
        Assert.AreEqual("structure", rollback.Check);
        StringAssert.Contains(rollback.Reason, "/embeddings/Unsqueeze");
        Assert.AreEqual(11L, OpsetInfo.GetDefaultOpset(model));
        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType == "Identity"));
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
    }

    [TestMethod]
    public void Run_WithoutRollBack_PassThatRaisesTheOpsetFailsNamingIt()
    {
        var model = OnnxModelIO.Parse(ZooModels.Get("bert-opset11-pt2").Model);
        var manager = new PassManager([new RaiseOpsetPass()]);

        var error = Assert.ThrowsExactly<PassFailedException>(() => manager.Run(model));

        Assert.AreEqual("raise-opset", error.PassName);
        StringAssert.Contains(error.Message, "Unsqueeze-13");
    }

    [TestMethod]
    public void Run_PassThrows_IsRolledBackWithTheException()
    {
        var model = OnnxModelIO.Parse(ZooModels.Get("cnn-opset13").Model);
        var before = model.Clone();
        var manager = new PassManager([new ThrowingAfterEditPass()]) { RollBackFailedPasses = true };

        Assert.IsFalse(manager.Run(model));

        var rollback = manager.LastReport!.RolledBack.Single();
        Assert.AreEqual("exception", rollback.Check);
        StringAssert.Contains(rollback.Reason, "halfway");
        Assert.AreEqual(before, model, "the half-done edit was undone");
    }

    [TestMethod]
    public void Run_RunningCheckRejectsAPassThatMovesTheOutputs_RollsItBack()
    {
        var bytes = ZooModels.Get("cnn-opset13").Model;
        var model = OnnxModelIO.Parse(bytes);
        var samples = SampleInputGenerator.Generate(bytes);
        var manager = new PassManager([new ScaleWeightPass(), new RemoveIdentityAndDropout()])
        {
            RollBackFailedPasses = true,
            RunningCheck = candidate => ModelVerifier.Compare(bytes, OnnxModelIO.ToBytes(candidate), samples).MaxAbsDiff > 1e-4 ? "outputs moved" : null,
        };

        Assert.IsTrue(manager.Run(model));

        var rollback = manager.LastReport!.RolledBack.Single();
        Assert.AreEqual("scale-weight", rollback.PassName);
        Assert.AreEqual("run", rollback.Check);
        Assert.IsLessThan(1e-5, ModelVerifier.Compare(bytes, OnnxModelIO.ToBytes(model), samples).MaxAbsDiff);
    }

    private sealed class RaiseOpsetPass : ModelPass
    {
        public override string Name => "raise-opset";

        protected override bool RunCore(ModelProto model)
        {
            var graph = new OnnxGraph(model);
            if (graph.GetOpsetVersion(OpsetInfo.OnnxDomain) >= 13)
            {
                return false;
            }

            graph.EnsureOpset(OpsetInfo.OnnxDomain, 13);
            return true;
        }
    }

    private sealed class ThrowingAfterEditPass : ModelPass
    {
        public override string Name => "throws";

        protected override bool RunCore(ModelProto model)
        {
            model.Graph.Node.RemoveAt(0);
            throw new InvalidOperationException("failed halfway");
        }
    }

    private sealed class ScaleWeightPass : ModelPass
    {
        public override string Name => "scale-weight";

        protected override bool RunCore(ModelProto model)
        {
            var weight = model.Graph.Initializer.First(t => t.Name == "fc.weight");
            if (!TensorData.TryReadFloat(weight, out var values) || values[0] == 0)
            {
                return false;
            }

            var index = model.Graph.Initializer.IndexOf(weight);
            model.Graph.Initializer[index] = TensorData.FromFloat(weight.Name, [.. weight.Dims], values.Select(v => v * 0).ToArray());
            return true;
        }
    }
}
