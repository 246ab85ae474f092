using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Tests.Onnx;

[TestClass]
public sealed class OnnxModelIOTests
{
    private string _folder = string.Empty;

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "onnxio-" + Guid.NewGuid().ToString("N"), "a", "b");
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder()
    {
        Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(_folder))!, recursive: true);
    }

    [TestMethod]
    public void Parse_RandomBytes_ThrowsOnnxFormatException()
    {
        var garbage = new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x34, 0x56, 0x78 };

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModelIO.Parse(garbage, "garbage.onnx"));

        StringAssert.Contains(ex.Message, "garbage.onnx");
    }

    [TestMethod]
    public void Parse_TextFile_ThrowsOnnxFormatException()
    {
        var text = "this is not an onnx model at all"u8.ToArray();

        Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModelIO.Parse(text, "readme.txt"));
    }

    [TestMethod]
    public void Load_TruncatedFile_ThrowsOnnxFormatExceptionSayingTruncated()
    {
        var bytes = FixtureModels.TinyTextEncoder();
        var path = Path.Combine(_folder, "truncated.onnx");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModelIO.Load(path));

        StringAssert.Contains(ex.Message, "truncated");
    }

    [TestMethod]
    public void Load_EmptyFile_ThrowsOnnxFormatException()
    {
        var path = Path.Combine(_folder, "empty.onnx");
        File.WriteAllBytes(path, []);

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModelIO.Load(path));

        StringAssert.Contains(ex.Message, "empty");
    }

    [TestMethod]
    [DataRow("../../x.bin")]
    [DataRow("sub/../../x.bin")]
    public void Load_ExternalDataEscapingFolder_ThrowsWithoutReadingIt(string location)
    {
        File.WriteAllBytes(Path.Combine(_folder, "..", "..", "x.bin"), new byte[16]);
        var path = SaveWithExternalBias(location);

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModelIO.Load(path));

        StringAssert.Contains(ex.Message, "leaves the model's folder");
        StringAssert.Contains(ex.Message, "'bias'");
    }

    [TestMethod]
    public void Load_ExternalDataAbsolutePath_Throws()
    {
        var path = SaveWithExternalBias(Path.Combine(_folder, "bias.bin"));

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModelIO.Load(path));

        StringAssert.Contains(ex.Message, "absolute");
    }

    [TestMethod]
    public void Load_ExternalDataInsideFolder_ReadsIt()
    {
        var bias = TensorData.FromFloat("bias", [4], [1f, 2f, 3f, 4f]);
        File.WriteAllBytes(Path.Combine(_folder, "bias.bin"), bias.RawData.ToByteArray());
        var path = SaveWithExternalBias("bias.bin");

        var model = OnnxModelIO.Load(path);

        Assert.IsTrue(TensorData.TryReadFloat(model.Graph.Initializer[0], out var values));
        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f, 4f }, values);
    }

    [TestMethod]
    public void Load_ExternalDataBadOffset_ThrowsOnnxFormatException()
    {
        File.WriteAllBytes(Path.Combine(_folder, "bias.bin"), new byte[16]);
        var path = SaveWithExternalBias("bias.bin", offset: "not-a-number");

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxModelIO.Load(path));

        StringAssert.Contains(ex.Message, "'bias'");
    }

    private string SaveWithExternalBias(string location, string? offset = null)
    {
        var model = TestModelBuilder.Chain().Build();
        var bias = model.Graph.Initializer[0];
        bias.RawData = Google.Protobuf.ByteString.Empty;
        bias.DataLocation = TensorProto.Types.DataLocation.External;
        bias.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is not null)
        {
            bias.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset });
        }

        var path = Path.Combine(_folder, "model.onnx");
        OnnxModelIO.Save(model, path);
        return path;
    }
}
