namespace MLNetInference.Pipeline.Images;

/// <summary>The range an 8-bit pixel value is scaled to before the mean is subtracted and the result divided by the standard deviation.</summary>
public enum ImagePixelRange
{
    /// <summary>Pixel / 255, in [0, 1] (torchvision's <c>ToTensor</c>); ImageNet means and deviations are in this range.</summary>
    ZeroToOne,

    /// <summary>The pixel value itself, in [0, 255] (Caffe-style models, ML.NET's <c>ExtractPixels</c> without scaling).</summary>
    ZeroTo255,
}
