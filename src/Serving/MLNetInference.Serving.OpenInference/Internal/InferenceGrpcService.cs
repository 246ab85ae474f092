using Grpc.Core;
using Microsoft.Extensions.Options;
using MLNetInference.Serving.OpenInference.Grpc;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>The gRPC service <c>inference.GRPCInferenceService</c> over the same models and checks as the REST endpoints.</summary>
internal sealed class InferenceGrpcService(ModelRegistry registry, InferenceStatistics statistics, IOptions<OpenInferenceOptions> options, TimeProvider? timeProvider = null)
    : GRPCInferenceService.GRPCInferenceServiceBase
{
    private readonly OpenInferenceOptions _options = options.Value;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context)
        => Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context)
        => Task.FromResult(new ServerReadyResponse { Ready = registry.IsReady });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
        => Task.FromResult(new ModelReadyResponse { Ready = Find(request.Name, request.Version).IsReady });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
        => Task.FromResult(new ServerMetadataResponse { Name = _options.ServerName, Version = _options.ServerVersion, Extensions = { "binary_tensor_data", "statistics" } });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        try
        {
            var model = registry.Find(request.Name, request.Version);
            var response = new ModelMetadataResponse { Name = model.Name, Platform = model.Platform, Versions = { model.Version } };
            foreach (var spec in model.Inputs)
            {
                response.Inputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = spec.Name, Datatype = spec.DataType.Name(), Shape = { spec.Shape } });
            }

            foreach (var spec in model.Outputs)
            {
                response.Outputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = spec.Name, Datatype = spec.DataType.Name(), Shape = { spec.Shape } });
            }

            return Task.FromResult(response);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw ErrorMapping.ToRpc(ex);
        }
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var started = _time.GetTimestamp();
        var model = Find(request.ModelName, request.ModelVersion);
        try
        {
            var decoded = GrpcTensorCodec.ReadRequest(request, _options.MaxTensorElements);
            var outputs = await model.InferAsync(decoded, context.CancellationToken).ConfigureAwait(false);
            var response = GrpcTensorCodec.WriteResponse(model, decoded, outputs);
            statistics.RecordRequest(model, true, _time.GetTimestamp() - started, outputs.Count > 0 && outputs[0].Shape.Length > 0 ? (int)outputs[0].Shape[0] : 1);
            return response;
        }
        catch (Exception ex) when (ex is not RpcException && !(ex is OperationCanceledException && context.CancellationToken.IsCancellationRequested))
        {
            statistics.RecordRequest(model, false, _time.GetTimestamp() - started, 0);
            throw ErrorMapping.ToRpc(ex);
        }
    }

    private IInferenceModel Find(string name, string version)
    {
        try
        {
            return registry.Find(name, version);
        }
        catch (OpenInferenceException ex)
        {
            throw ErrorMapping.ToRpc(ex);
        }
    }
}
