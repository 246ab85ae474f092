namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>Something that contributes models to the V2 server, loaded in the background when the host starts.</summary>
internal interface IModelSource
{
    /// <summary>Loads the source (blocking) and returns the models it serves.</summary>
    IReadOnlyList<IInferenceModel> Load(IServiceProvider services);
}
