using MLNetInference.Pipeline.Scoring;

namespace MLNetInference.Serving.Internal;

/// <summary>Where one named model of a pool comes from: the loader the pool creates for it, and how to read raw ONNX.</summary>
internal sealed class ModelSource
{
    public ModelSource(Func<IServiceProvider, ModelLoader> createLoader, Action<OnnxBatchScoringOptions>? onnxMapping, bool? isRawOnnx)
    {
        CreateLoader = createLoader;
        OnnxMapping = onnxMapping;
        IsRawOnnx = isRawOnnx;
    }

    /// <summary>Creates the model's loader when the pool is built; the pool owns and disposes it.</summary>
    public Func<IServiceProvider, ModelLoader> CreateLoader { get; }

    /// <summary>For a raw ONNX file: the column mapping and scoring settings.</summary>
    public Action<OnnxBatchScoringOptions>? OnnxMapping { get; }

    /// <summary>Whether the content is a raw ONNX file; <see langword="null"/> tells by the zip signature.</summary>
    public bool? IsRawOnnx { get; }
}
