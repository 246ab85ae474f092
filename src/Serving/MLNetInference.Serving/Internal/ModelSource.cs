using MLNetInference.Pipeline.Scoring;

namespace MLNetInference.Serving.Internal;

/// <summary>Where one named model of a pool comes from.</summary>
internal sealed class ModelSource
{
    public ModelSource(string path, bool watchForChanges, Action<OnnxBatchScoringOptions>? onnxMapping, bool isRawOnnx)
    {
        Path = path;
        WatchForChanges = watchForChanges;
        OnnxMapping = onnxMapping;
        IsRawOnnx = isRawOnnx;
    }

    /// <summary>The ML.NET model zip, or the <c>.onnx</c> file.</summary>
    public string Path { get; }

    public bool WatchForChanges { get; }

    /// <summary>For a raw ONNX file: the column mapping and scoring settings.</summary>
    public Action<OnnxBatchScoringOptions>? OnnxMapping { get; }

    public bool IsRawOnnx { get; }
}
