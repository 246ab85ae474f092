using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Models;

namespace MLNetInference.Optimizers.Tests.Passes;

[TestClass]
public sealed class PassManagerTests
{
    [TestMethod]
    public void Run_PassesThatConverge_StopsAtFixpointAndCountsChanges()
    {
        var model = TestModelBuilder.Chain().Build();
        var counting = new CountdownPass("countdown", changes: 3);
        var idle = new CountdownPass("idle", changes: 0);
        var manager = new PassManager([counting, idle]);

        var changed = manager.Run(model);

        Assert.IsTrue(changed);
        var report = manager.LastReport!;
        Assert.IsTrue(report.ReachedFixpoint);
        Assert.AreEqual(4, report.Iterations);
        Assert.AreEqual(new PassRunSummary("countdown", 4, 3), report.Passes[0]);
        Assert.AreEqual(new PassRunSummary("idle", 4, 0), report.Passes[1]);
        Assert.IsFalse(manager.Run(model), "a second run starts at the fixpoint");
    }

    [TestMethod]
    public void Run_PassThatNeverConverges_StopsAtMaxIterations()
    {
        var manager = new PassManager([new CountdownPass("forever", changes: int.MaxValue)], maxIterations: 5);

        Assert.IsTrue(manager.Run(TestModelBuilder.Chain().Build()));

        Assert.IsFalse(manager.LastReport!.ReachedFixpoint);
        Assert.AreEqual(5, manager.LastReport.Iterations);
    }

    [TestMethod]
    public void Run_PassThrows_PassFailedExceptionNamesThatPass()
    {
        var manager = new PassManager([new CountdownPass("fine", 1), new ThrowingPass()]);

        var ex = Assert.ThrowsExactly<PassFailedException>(() => manager.Run(TestModelBuilder.Chain().Build()));

        Assert.AreEqual("breaks", ex.PassName);
        StringAssert.Contains(ex.Message, "breaks");
    }

    [TestMethod]
    public void Run_NestedManagerPassThrows_InnermostPassIsNamed()
    {
        var inner = new PassManager([new ThrowingPass()], name: "inner");
        var outer = new PassManager([inner], name: "outer");

        var ex = Assert.ThrowsExactly<PassFailedException>(() => outer.Run(TestModelBuilder.Chain().Build()));

        Assert.AreEqual("breaks", ex.PassName);
    }

    [TestMethod]
    public void Run_PassLeavesCycle_PassFailedExceptionNamesThatPass()
    {
        var manager = new PassManager([new CycleMakingPass()]);

        var ex = Assert.ThrowsExactly<PassFailedException>(() => manager.Run(TestModelBuilder.Chain().Build()));

        Assert.AreEqual("make-cycle", ex.PassName);
        StringAssert.Contains(ex.Message, "cycle");
    }

    [TestMethod]
    public void Constructor_ZeroIterations_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new PassManager([], maxIterations: 0));
    }

    private sealed class CountdownPass(string name, int changes) : ModelPass
    {
        private int _left = changes;

        public override string Name => name;

        protected override bool RunCore(ModelProto model)
        {
            if (_left <= 0)
            {
                return false;
            }

            _left--;
            model.Graph.DocString += ".";
            return true;
        }
    }

    private sealed class ThrowingPass : ModelPass
    {
        public override string Name => "breaks";

        protected override bool RunCore(ModelProto model) => throw new InvalidOperationException("boom");
    }

    private sealed class CycleMakingPass : ModelPass
    {
        public override string Name => "make-cycle";

        protected override bool RunCore(ModelProto model)
        {
            model.Graph.Node[0].Input[0] = "b";
            return true;
        }
    }
}
