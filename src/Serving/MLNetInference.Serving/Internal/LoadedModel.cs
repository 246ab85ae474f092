using Microsoft.ML;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Serving.Internal;

/// <summary>One loaded version of a model on each device: the transformers, disposed together when retired.</summary>
internal sealed class LoadedModel : IDisposable
{
    private readonly List<ITransformer> _versions;
    private readonly IReadOnlyList<IDisposable> _owned;

    public LoadedModel(List<ITransformer> versions, IReadOnlyList<IDisposable>? owned = null)
    {
        _versions = versions;
        _owned = owned ?? [];
    }

    /// <summary>The model on the first device, which <c>GetModel</c> returns.</summary>
    public ITransformer Primary => _versions.Count > 0 ? _versions[0]
        : throw new NotSupportedException("This model's batches run on executors of its own (FromExecutor); it has no ML.NET model.");

    public void Dispose()
    {
        foreach (var model in _versions)
        {
            BatchedModel.DisposeModel(model);
        }

        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }
}
