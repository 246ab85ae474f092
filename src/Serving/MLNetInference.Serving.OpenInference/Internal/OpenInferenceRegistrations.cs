namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>What <c>AddOpenInference</c> and its builder registered: the model sources, in order.</summary>
internal sealed class OpenInferenceRegistrations
{
    public List<IModelSource> Sources { get; } = [];
}
