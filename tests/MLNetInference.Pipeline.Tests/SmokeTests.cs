namespace MLNetInference.Pipeline.Tests;

[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public void Build_Skeleton_Compiles()
    {
        Assert.IsNotNull(typeof(MLNetInference.Onnx.OnnxModelIO).Assembly);
    }
}
