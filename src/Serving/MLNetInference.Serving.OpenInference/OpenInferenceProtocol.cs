namespace MLNetInference.Serving.OpenInference;

/// <summary>How the V2 client talks to the remote server.</summary>
public enum OpenInferenceProtocol
{
    /// <summary>REST with Triton's binary tensor extension (inputs and outputs as raw bytes after a JSON header).</summary>
    RestBinary = 0,

    /// <summary>gRPC (<c>inference.GRPCInferenceService/ModelInfer</c>) with raw contents.</summary>
    Grpc = 1,
}
