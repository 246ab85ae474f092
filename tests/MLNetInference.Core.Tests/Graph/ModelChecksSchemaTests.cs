using MLNetInference.Core.Graph;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models;

namespace MLNetInference.Core.Tests.Graph;

[TestClass]
public sealed class ModelChecksSchemaTests
{
    [TestMethod]
    public void FindSchemaProblems_EveryZooModel_FindsNone()
    {
        foreach (var zoo in ZooModels.All)
        {
            var problems = ModelChecks.FindSchemaProblems(Core.Onnx.OnnxModelIO.Parse(zoo.Model));
            Assert.IsEmpty(problems, $"{zoo.Name}: {string.Join(" ", problems)}");
        }
    }

    [TestMethod]
    public void FindSchemaProblems_UnsqueezeWithAxesAttributeAtOpset13_NamesTheNode()
    {
        var model = Model(13, Node("Unsqueeze", "u", ["x"], Ints("axes", 0)));

        var problem = ModelChecks.FindSchemaProblems(model).Single();

        StringAssert.Contains(problem, "'u' (Unsqueeze)");
        StringAssert.Contains(problem, "takes 2 inputs");
    }

    [TestMethod]
    public void FindSchemaProblems_UnsqueezeWithoutAxesAtOpset11_NeedsTheAttribute()
    {
        StringAssert.Contains(ModelChecks.FindSchemaProblems(Model(11, Node("Unsqueeze", "u", ["x", "axes"]))).Single(), "takes 1 inputs");
        StringAssert.Contains(ModelChecks.FindSchemaProblems(Model(11, Node("Unsqueeze", "u", ["x"]))).Single(), "needs the attribute 'axes'");
    }

    [TestMethod]
    public void FindSchemaProblems_ClipWithMinAttributeAtOpset11_SaysItMovedToAnInput()
    {
        var clip = Node("Clip", "c", ["x"]);
        clip.Attribute.Add(new AttributeProto { Name = "min", Type = AttributeProto.Types.AttributeType.Float, F = 0 });

        StringAssert.Contains(ModelChecks.FindSchemaProblems(Model(11, clip)).Single(), "no attribute 'min'");
        Assert.IsEmpty(ModelChecks.FindSchemaProblems(Model(6, clip.Clone())));
    }

    [TestMethod]
    public void FindSchemaProblems_OnnxGeluBeforeOpset20_NeedsALaterOpset()
    {
        StringAssert.Contains(ModelChecks.FindSchemaProblems(Model(17, Node("Gelu", "g", ["x"]))).Single(), "needs ai.onnx opset 20");
        Assert.IsEmpty(ModelChecks.FindSchemaProblems(Model(20, Node("Gelu", "g", ["x"]))));
    }

    [TestMethod]
    public void FindSchemaProblems_LayerNormalizationAtOpset11_IsOnnxRuntimesOp()
    {
        Assert.IsEmpty(ModelChecks.FindSchemaProblems(Model(11, Node("LayerNormalization", "ln", ["x", "gamma", "beta"]))));
    }

    [TestMethod]
    public void FindSchemaProblems_ContribOpWithoutItsDomainImported_SaysSo()
    {
        var attention = Node("Attention", "a", ["x", "w", "b"]);
        attention.Domain = OpsetInfo.MicrosoftDomain;
        attention.Attribute.Add(new AttributeProto { Name = "num_heads", Type = AttributeProto.Types.AttributeType.Int, I = 2 });

        StringAssert.Contains(ModelChecks.FindSchemaProblems(Model(13, attention)).Single(), "imports no com.microsoft opset");
    }

    private static ModelProto Model(long opset, NodeProto node)
    {
        var model = new TestModelBuilder().Build();
        model.OpsetImport[0].Version = opset;
        model.Graph.Node.Add(node);
        return model;
    }

    private static NodeProto Node(string op, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name + "_out");
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
