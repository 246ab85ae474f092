using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Models;

namespace MLNetInference.Core.Tests.Graph;

[TestClass]
public sealed class OpsetInfoTests
{
    [TestMethod]
    [DataRow("", "")]
    [DataRow("ai.onnx", "")]
    [DataRow("com.microsoft", "com.microsoft")]
    public void NormalizeDomain_Domain_AiOnnxIsTheDefaultDomain(string domain, string expected)
    {
        Assert.AreEqual(expected, OpsetInfo.NormalizeDomain(domain));
    }

    [TestMethod]
    [DataRow(8L, false)]
    [DataRow(9L, true)]
    [DataRow(13L, true)]
    public void IsSupported_ErfSinceOpset9_FollowsTheModelsDefaultOpset(long opset, bool expected)
    {
        var (graph, erf) = ErfModel(opset);

        Assert.AreEqual(expected, OpsetInfo.IsSupported(graph, erf, OpSpec.Onnx("Erf", 9)));
        Assert.AreEqual(expected, OpsetInfo.IsSupported(graph, erf, "Erf", 9));
    }

    [TestMethod]
    public void IsSupported_ModelOpsetAboveUntil_IsFalse()
    {
        var (graph, erf) = ErfModel(13);

        Assert.IsTrue(OpsetInfo.IsSupported(graph, erf, OpSpec.Onnx("Erf", 9, 13)));
        Assert.IsFalse(OpsetInfo.IsSupported(graph, erf, OpSpec.Onnx("Erf", 9, 12)));
    }

    [TestMethod]
    public void IsSupported_OtherOpTypeOrDomain_IsFalse()
    {
        var (graph, erf) = ErfModel(13);

        Assert.IsFalse(OpsetInfo.IsSupported(graph, erf, OpSpec.Onnx("Relu")));
        Assert.IsFalse(OpsetInfo.IsSupported(graph, erf, OpSpec.Microsoft("Erf")));
    }

    [TestMethod]
    public void IsSupported_NodeDomainWrittenAiOnnx_CountsAsDefaultDomain()
    {
        var (graph, erf) = ErfModel(13, nodeDomain: "ai.onnx", importDomain: "ai.onnx");

        Assert.IsTrue(OpsetInfo.IsOnnxDomain(erf));
        Assert.IsTrue(OpsetInfo.IsSupported(graph, erf, OpSpec.Onnx("Erf", 9)));
        Assert.AreEqual(13L, OpsetInfo.GetDefaultOpset(graph.Model));
    }

    [TestMethod]
    public void IsSupported_ContribNodeWithoutItsDomainImported_IsFalse()
    {
        var (graph, erf) = ErfModel(13, nodeDomain: OpsetInfo.MicrosoftDomain);

        Assert.IsTrue(OpsetInfo.IsOp(erf, "Erf", OpsetInfo.MicrosoftDomain));
        Assert.IsFalse(OpsetInfo.IsSupported(graph, erf, OpSpec.Microsoft("Erf")), "com.microsoft is not imported");

        graph.EnsureOpset(OpsetInfo.MicrosoftDomain, 1);
        Assert.IsTrue(OpsetInfo.IsSupported(graph, erf, OpSpec.Microsoft("Erf")));
        Assert.AreEqual(1L, OpsetInfo.GetImportedVersion(graph.Model, OpsetInfo.MicrosoftDomain));
    }

    [TestMethod]
    public void GetDefaultOpset_NoDefaultImport_IsNull()
    {
        var model = new ModelProto { Graph = new GraphProto() };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = OpsetInfo.MicrosoftDomain, Version = 1 });

        Assert.IsNull(OpsetInfo.GetDefaultOpset(model));
    }

    [TestMethod]
    public void Covers_Range_IncludesBothEnds()
    {
        var spec = OpSpec.Onnx("Softmax", 13, 17);

        Assert.IsFalse(spec.Covers(12));
        Assert.IsTrue(spec.Covers(13));
        Assert.IsTrue(spec.Covers(17));
        Assert.IsFalse(spec.Covers(18));
        Assert.IsTrue(OpSpec.Onnx("Softmax", 13).Covers(long.MaxValue), "no upper bound");
        Assert.AreEqual("ai.onnx:Softmax[13..17]", spec.ToString());
    }

    private static (OnnxGraph Graph, NodeProto Erf) ErfModel(long opset, string nodeDomain = "", string importDomain = "")
    {
        var model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "erf" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = importDomain, Version = opset });
        model.Graph.Input.Add(TestModelBuilder.ValueInfo("x", TensorProto.Types.DataType.Float, [1]));
        model.Graph.Output.Add(TestModelBuilder.ValueInfo("y", TensorProto.Types.DataType.Float, [1]));
        var node = new NodeProto { OpType = "Erf", Name = "erf", Domain = nodeDomain };
        node.Input.Add("x");
        node.Output.Add("y");
        model.Graph.Node.Add(node);
        var graph = new OnnxGraph(model);
        return (graph, graph.Nodes[0]);
    }
}
