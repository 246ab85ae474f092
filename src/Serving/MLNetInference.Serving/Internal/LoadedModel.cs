using Microsoft.ML;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Serving.Internal;

/// <summary>One loaded version of a model on each device: the transformers, disposed together when retired.</summary>
internal sealed class LoadedModel : IDisposable
{
    private readonly List<ITransformer> _versions;

    public LoadedModel(List<ITransformer> versions)
    {
        _versions = versions;
    }

    /// <summary>The model on the first device, which <c>GetModel</c> returns.</summary>
    public ITransformer Primary => _versions[0];

    public void Dispose()
    {
        foreach (var model in _versions)
        {
            BatchedModel.DisposeModel(model);
        }
    }
}
