using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers;
using MLNetInference.Optimizers.Passes;

namespace MLNetInference.Optimizers.Tests;

[TestClass]
public sealed class ModelPassTests
{
    [TestMethod]
    public void Run_CoreThrows_ThrowsPassFailedNamingThePass()
    {
        var model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };

        var ex = Assert.ThrowsExactly<PassFailedException>(() => new ThrowingPass().Run(model));

        Assert.AreEqual("throwing", ex.PassName);
        StringAssert.Contains(ex.Message, "throwing");
        Assert.IsInstanceOfType<InvalidOperationException>(ex.InnerException);
    }

    private sealed class ThrowingPass : ModelPass
    {
        public override string Name => "throwing";

        protected override bool RunCore(ModelProto model) => throw new InvalidOperationException("boom");
    }
}
