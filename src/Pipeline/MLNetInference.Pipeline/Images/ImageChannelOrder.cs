namespace MLNetInference.Pipeline.Images;

/// <summary>The order of the colour channels in a model's image input.</summary>
public enum ImageChannelOrder
{
    /// <summary>Red, green, blue (PyTorch and torchvision models, ResNet18 of ML.NET's image featurizer).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe and OpenCV models).</summary>
    Bgr,
}
