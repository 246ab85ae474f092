using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;

namespace MLNetInference.Core.Tests.Graph;

[TestClass]
public sealed class ModelChecksTests
{
    [TestMethod]
    public void Validate_FixtureModels_Pass()
    {
        foreach (var name in FixtureModels.Names)
        {
            ModelChecks.Validate(OnnxModelIO.Parse(FixtureModels.Create(name), name));
        }

        ModelChecks.Validate(TestModelBuilder.Chain().Build());
    }

    [TestMethod]
    [DataRow("/etc/passwd")]
    [DataRow("../../etc/passwd")]
    [DataRow("weights/../../outside.bin")]
    [DataRow("")]
    public void Validate_ExternalDataOutsideTheFolderOrUnnamed_ThrowsNamingInitializer(string location)
    {
        var model = TestModelBuilder.Chain().Build();
        var bias = model.Graph.Initializer[0];
        bias.RawData = Google.Protobuf.ByteString.Empty;
        bias.FloatData.Clear();
        bias.DataLocation = TensorProto.Types.DataLocation.External;
        bias.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, "'bias'");
    }

    [TestMethod]
    public void Validate_ExternalDataInsideTheFolder_Passes()
    {
        var model = TestModelBuilder.Chain().Build();
        var bias = model.Graph.Initializer[0];
        bias.RawData = Google.Protobuf.ByteString.Empty;
        bias.FloatData.Clear();
        bias.DataLocation = TensorProto.Types.DataLocation.External;
        bias.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights/model.bin" });
        bias.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "128" });

        ModelChecks.Validate(model);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(99)]
    public void Validate_GraphInputWithoutAnOnnxElementType_Throws(int elementType)
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Input[0].Type.TensorType.ElemType = elementType;

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, model.Graph.Input[0].Name);
    }

    [TestMethod]
    public void Validate_NegativeInitializerDimension_ThrowsNamingInitializer()
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Initializer[0].Dims[0] = -4;

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, "'bias'");
        StringAssert.Contains(ex.Message, "-4");
    }

    [TestMethod]
    public void Validate_InitializerElementCountOverflows_Throws()
    {
        var model = TestModelBuilder.Chain().Build();
        var huge = new TensorProto { Name = "huge", DataType = (int)TensorProto.Types.DataType.Float };
        huge.Dims.AddRange([1L << 40, 1L << 40]);
        model.Graph.Initializer.Add(huge);

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, "'huge'");
    }

    [TestMethod]
    public void Validate_DeclaredShapeAbove2To31Elements_Throws()
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Input[0] = TestModelBuilder.ValueInfo("x", TensorProto.Types.DataType.Float, [65536L, 65536L]);

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, "'x'");
    }

    [TestMethod]
    public void Validate_NegativeInputDimension_ThrowsButMinusOneIsDynamic()
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Input[0] = TestModelBuilder.ValueInfo("x", TensorProto.Types.DataType.Float, [-1L, 4L]);
        ModelChecks.Validate(model);
        model.Graph.Input[0] = TestModelBuilder.ValueInfo("x", TensorProto.Types.DataType.Float, [-7L, 4L]);

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, "-7");
    }

    [TestMethod]
    public void Validate_RawDataShorterThanShape_Throws()
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Initializer[0].Dims[0] = 8;

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, "16 bytes");
    }

    [TestMethod]
    public void Validate_UndefinedInput_ThrowsNamingNodeAndValue()
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Node[1].Input[1] = "missing";

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, "'add'");
        StringAssert.Contains(ex.Message, "'missing'");
    }

    [TestMethod]
    public void Validate_Cycle_ThrowsNamingNode()
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Node[0].Input[0] = "b";

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => ModelChecks.Validate(model));

        StringAssert.Contains(ex.Message, "cycle");
        StringAssert.Contains(ex.Message, "'relu1'");
    }
}
