namespace MLNetInference.Pipeline.Images;

/// <summary>How a model's image input lays out its axes.</summary>
public enum ImageTensorLayout
{
    /// <summary>[batch, channels, height, width]: one plane per channel (PyTorch, ONNX model zoo CNNs).</summary>
    Nchw,

    /// <summary>[batch, height, width, channels]: channels interleaved per pixel (TensorFlow and Keras exports).</summary>
    Nhwc,
}
