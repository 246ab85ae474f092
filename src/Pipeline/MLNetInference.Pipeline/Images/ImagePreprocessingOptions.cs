namespace MLNetInference.Pipeline.Images;

/// <summary>
/// The preprocessing a model expects of an image: resize so that the shorter side has
/// <see cref="ResizeShorterSide"/> pixels (antialiased bilinear), crop <see cref="CropHeight"/> × <see cref="CropWidth"/>
/// from the centre, scale each 8-bit value to <see cref="PixelRange"/>, subtract <see cref="Mean"/> and divide by
/// <see cref="StandardDeviation"/> per channel, in <see cref="ChannelOrder"/>, laid out as <see cref="Layout"/>.
/// </summary>
/// <remarks>
/// The defaults (<see cref="ImageNet"/>) are the ImageNet preprocessing of torchvision models and of ResNet18 in ML.NET's
/// image featurizer (<c>Input247</c>, [1, 3, 224, 224]): resize to 256, centre crop 224, RGB, [0, 1], mean
/// (0.485, 0.456, 0.406), standard deviation (0.229, 0.224, 0.225), NCHW. A grayscale image is read as three equal
/// channels; alpha is ignored.
/// </remarks>
public sealed class ImagePreprocessingOptions
{
    /// <summary>Gets the ImageNet preprocessing (the defaults).</summary>
    public static ImagePreprocessingOptions ImageNet { get; } = new();

    /// <summary>Gets the length in pixels the shorter side is resized to, keeping the aspect ratio; 256 by default.</summary>
    public int ResizeShorterSide { get; init; } = 256;

    /// <summary>Gets the width of the centre crop, which is the model input's width; 224 by default.</summary>
    public int CropWidth { get; init; } = 224;

    /// <summary>Gets the height of the centre crop, which is the model input's height; 224 by default.</summary>
    public int CropHeight { get; init; } = 224;

    /// <summary>Gets the mean subtracted from each channel, in <see cref="ChannelOrder"/> and in <see cref="PixelRange"/>'s units; ImageNet's by default.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Gets the standard deviation each channel is divided by, in <see cref="ChannelOrder"/> and in <see cref="PixelRange"/>'s units; ImageNet's by default.</summary>
    public IReadOnlyList<float> StandardDeviation { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Gets the order of the channels; <see cref="ImageChannelOrder.Rgb"/> by default.</summary>
    public ImageChannelOrder ChannelOrder { get; init; } = ImageChannelOrder.Rgb;

    /// <summary>Gets the layout of the tensor; <see cref="ImageTensorLayout.Nchw"/> by default.</summary>
    public ImageTensorLayout Layout { get; init; } = ImageTensorLayout.Nchw;

    /// <summary>Gets the range 8-bit values are scaled to; <see cref="ImagePixelRange.ZeroToOne"/> by default.</summary>
    public ImagePixelRange PixelRange { get; init; } = ImagePixelRange.ZeroToOne;

    /// <summary>Gets the shape of one preprocessed image: [1, 3, height, width] or [1, height, width, 3].</summary>
    public long[] TensorShape => Layout == ImageTensorLayout.Nchw ? [1, 3, CropHeight, CropWidth] : [1, CropHeight, CropWidth, 3];

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (CropWidth < 1 || CropHeight < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CropWidth), $"The crop must be at least 1×1 pixel; it is {CropWidth}×{CropHeight}.");
        }

        if (ResizeShorterSide < Math.Max(CropWidth, CropHeight))
        {
            throw new ArgumentOutOfRangeException(nameof(ResizeShorterSide), ResizeShorterSide, $"ResizeShorterSide must be at least the larger side of the {CropWidth}×{CropHeight} crop, so that the crop fits.");
        }

        if (Mean is null || Mean.Count != 3 || Mean.Any(m => !float.IsFinite(m)))
        {
            throw new ArgumentException("Mean must hold three finite values, one per channel.", nameof(Mean));
        }

        if (StandardDeviation is null || StandardDeviation.Count != 3 || StandardDeviation.Any(s => !(s > 0f) || !float.IsFinite(s)))
        {
            throw new ArgumentException("StandardDeviation must hold three finite values above zero, one per channel.", nameof(StandardDeviation));
        }
    }
}
