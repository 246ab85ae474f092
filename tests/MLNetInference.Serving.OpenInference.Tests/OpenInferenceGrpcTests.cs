using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Serving.OpenInference.Grpc;

namespace MLNetInference.Serving.OpenInference.Tests;

[TestClass]
public sealed class OpenInferenceGrpcTests
{
    private static readonly float[] X = [0f, 1f, 2.5f, 3f, 7f, 100f];

    private static V2TestServer s_server = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_server = await V2TestServer.StartAsync(services => services.AddOpenInference(o => o.MaxTensorElements = 1 << 20).AddOnnxModel("cast", CastModel.Path, b => b.WorkersPerDevice = 1));
    }

    [ClassCleanup]
    public static async Task StopAsync() => await s_server.DisposeAsync();

    [TestMethod]
    public async Task HealthAndMetadata_OverGrpc_AnswerLikeRest()
    {
        Assert.IsTrue((await s_server.Grpc.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.IsTrue((await s_server.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.IsTrue((await s_server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "cast" })).Ready);
        Assert.AreEqual("mlnetinference", (await s_server.Grpc.ServerMetadataAsync(new ServerMetadataRequest())).Name);
        var metadata = await s_server.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "cast" });
        var x = metadata.Inputs.Single(i => i.Name == "x");
        Assert.AreEqual("FP32", x.Datatype);
        CollectionAssert.AreEqual(new long[] { -1, 3 }, x.Shape.ToArray());
        Assert.AreEqual("FP16", metadata.Outputs.Single(o => o.Name == "y_FP16").Datatype);
    }

    [TestMethod]
    public async Task ModelInfer_TypedContents_AnswerEveryDatatypeButFp16Typed()
    {
        var request = Request(raw: false);
        request.Outputs.Add(CastModel.Outputs.Where(o => o.DataType != "FP16").Select(o => new ModelInferRequest.Types.InferRequestedOutputTensor { Name = $"y_{o.DataType}" }));

        var response = await s_server.Grpc.ModelInferAsync(request);

        Assert.AreEqual(0, response.RawOutputContents.Count);
        foreach (var output in response.Outputs)
        {
            var type = output.Datatype;
            CollectionAssert.AreEqual(new long[] { 2, 3 }, output.Shape.ToArray(), type);
            var c = output.Contents;
            double[] values = type switch
            {
                "BOOL" => [.. c.BoolContents.Select(v => v ? 1.0 : 0.0)],
                "UINT8" or "UINT16" or "UINT32" => [.. c.UintContents.Select(v => (double)v)],
                "UINT64" => [.. c.Uint64Contents.Select(v => (double)v)],
                "INT8" or "INT16" or "INT32" => [.. c.IntContents.Select(v => (double)v)],
                "INT64" => [.. c.Int64Contents.Select(v => (double)v)],
                "FP32" => [.. c.Fp32Contents.Select(v => (double)v)],
                _ => [.. c.Fp64Contents],
            };
            CollectionAssert.AreEqual(X.Select(v => CastModel.Expected(type, v)).ToArray(), values, type);
        }
    }

    [TestMethod]
    public async Task ModelInfer_RawContents_RoundTripEveryDatatypeBitExact()
    {
        var response = await s_server.Grpc.ModelInferAsync(Request(raw: true));

        Assert.AreEqual(response.Outputs.Count, response.RawOutputContents.Count);
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            var name = response.Outputs[i].Name;
            var bytes = response.RawOutputContents[i].ToByteArray();
            switch (name)
            {
                case "y_FP16":
                    CollectionAssert.AreEqual(OpenInferenceRestTests.BytesOf(X.Select(v => (Half)v).ToArray()), bytes);
                    break;
                case "y_INT8":
                    CollectionAssert.AreEqual(X.Select(v => unchecked((byte)(sbyte)v)).ToArray(), bytes);
                    break;
                case "i32_out":
                    CollectionAssert.AreEqual(OpenInferenceRestTests.BytesOf(new[] { 1, -2, int.MaxValue, int.MinValue }), bytes);
                    break;
                case "i64_out":
                    CollectionAssert.AreEqual(OpenInferenceRestTests.BytesOf(new[] { 1L, -2L, long.MaxValue, long.MinValue }), bytes);
                    break;
                case "f64_out":
                    CollectionAssert.AreEqual(OpenInferenceRestTests.BytesOf(new[] { 0.1, double.Epsilon, -1e300, 2 }), bytes);
                    break;
            }
        }
    }

    [TestMethod]
    [DataRow("nope", "FP32", 3L, StatusCode.NotFound)]
    [DataRow("cast", "FP8", 3L, StatusCode.InvalidArgument)]
    [DataRow("cast", "FP32", 4L, StatusCode.InvalidArgument)]
    [DataRow("cast", "FP32", 1L << 40, StatusCode.InvalidArgument)]
    public async Task ModelInfer_BadRequest_GetsItsStatusAndTheServerKeepsServing(string model, string datatype, long width, StatusCode expected)
    {
        var request = Request(raw: false);
        request.ModelName = model;
        request.Inputs[0].Datatype = datatype;
        request.Inputs[0].Shape[1] = width;

        var error = await Assert.ThrowsExactlyAsync<RpcException>(async () => await s_server.Grpc.ModelInferAsync(request));

        Assert.AreEqual(expected, error.StatusCode, error.Status.Detail);
        var good = Request(raw: false);
        good.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "y_FP32" });
        CollectionAssert.AreEqual(X, (await s_server.Grpc.ModelInferAsync(good)).Outputs.Single().Contents.Fp32Contents.ToArray());
    }

    private static ModelInferRequest Request(bool raw)
    {
        var request = new ModelInferRequest { ModelName = "cast" };
        var x = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 2, 3 } };
        var i32 = new ModelInferRequest.Types.InferInputTensor { Name = "i32", Datatype = "INT32", Shape = { 2, 2 } };
        var i64 = new ModelInferRequest.Types.InferInputTensor { Name = "i64", Datatype = "INT64", Shape = { 2, 2 } };
        var f64 = new ModelInferRequest.Types.InferInputTensor { Name = "f64", Datatype = "FP64", Shape = { 2, 2 } };
        int[] ints = [1, -2, int.MaxValue, int.MinValue];
        long[] longs = [1, -2, long.MaxValue, long.MinValue];
        double[] doubles = [0.1, double.Epsilon, -1e300, 2];
        if (raw)
        {
            request.RawInputContents.Add(ByteString.CopyFrom(OpenInferenceRestTests.BytesOf(X)));
            request.RawInputContents.Add(ByteString.CopyFrom(OpenInferenceRestTests.BytesOf(ints)));
            request.RawInputContents.Add(ByteString.CopyFrom(OpenInferenceRestTests.BytesOf(longs)));
            request.RawInputContents.Add(ByteString.CopyFrom(OpenInferenceRestTests.BytesOf(doubles)));
        }
        else
        {
            x.Contents = new InferTensorContents { Fp32Contents = { X } };
            i32.Contents = new InferTensorContents { IntContents = { ints } };
            i64.Contents = new InferTensorContents { Int64Contents = { longs } };
            f64.Contents = new InferTensorContents { Fp64Contents = { doubles } };
        }

        request.Inputs.Add([x, i32, i64, f64]);
        return request;
    }
}
