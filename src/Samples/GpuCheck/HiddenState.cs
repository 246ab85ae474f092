using Microsoft.ML.Data;

namespace MLNetInference.Samples.GpuCheck;

/// <summary>MiniLM's token embeddings for one request, un-padded.</summary>
internal sealed class HiddenState
{
#pragma warning disable SA1300, IDE1006 // Member names follow the model's output names.
    [VectorType]
    public float[] last_hidden_state { get; set; } = [];
#pragma warning restore SA1300, IDE1006
}
