using SkiaSharp;

namespace MLNetInference.Pipeline.Images;

/// <summary>
/// Decodes JPEG and PNG images and turns them into a model's input tensor as <see cref="ImagePreprocessingOptions"/>
/// states: resize (shorter side, antialiased bilinear), centre crop, scale, normalize, channel order and layout.
/// </summary>
/// <remarks>
/// Resizing weighs source pixels with a triangle (bilinear) filter widened by the reduction factor when shrinking, so a
/// large photo is averaged rather than sampled (as Pillow and torchvision do); enlarging is plain bilinear with pixel
/// centres aligned. Only the cropped window is computed. Values stay in float through both passes (no rounding to 8
/// bits between them).
/// </remarks>
public static class ImagePreprocessor
{
    /// <summary>The largest width or height accepted, in pixels, so that a malformed header cannot ask for gigabytes.</summary>
    public const int MaxDimension = 16384;

    /// <summary>Reads, decodes and preprocesses the image file at <paramref name="path"/>.</summary>
    /// <param name="path">A JPEG or PNG file.</param>
    /// <param name="options">The model's preprocessing; <see cref="ImagePreprocessingOptions.ImageNet"/> when <see langword="null"/>.</param>
    /// <returns>The tensor's values, <see cref="ImagePreprocessingOptions.TensorShape"/> long.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidImageException">The file is not a JPEG or PNG image this decoder reads, or is larger than <see cref="MaxDimension"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static float[] Preprocess(string path, ImagePreprocessingOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The image '{path}' does not exist.", path);
        }

        return Preprocess(File.ReadAllBytes(path), path, options);
    }

    /// <summary>Decodes and preprocesses an encoded image held in memory.</summary>
    /// <param name="encoded">The bytes of a JPEG or PNG file.</param>
    /// <param name="imageName">A name for the image in error messages, for example its file name.</param>
    /// <param name="options">The model's preprocessing; <see cref="ImagePreprocessingOptions.ImageNet"/> when <see langword="null"/>.</param>
    /// <returns>The tensor's values, <see cref="ImagePreprocessingOptions.TensorShape"/> long.</returns>
    /// <exception cref="InvalidImageException">The bytes are not a JPEG or PNG image this decoder reads, or the image is larger than <see cref="MaxDimension"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static float[] Preprocess(ReadOnlySpan<byte> encoded, string imageName, ImagePreprocessingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(imageName);
        options ??= ImagePreprocessingOptions.ImageNet;
        options.Validate();
        var (pixels, width, height) = Decode(encoded, imageName);
        return Preprocess(pixels, width, height, options);
    }

    /// <summary>Decodes a JPEG or PNG image to 8-bit RGBA pixels, row by row.</summary>
    internal static (byte[] Rgba, int Width, int Height) Decode(ReadOnlySpan<byte> encoded, string imageName)
    {
        if (encoded.Length == 0)
        {
            throw new InvalidImageException(imageName, $"The image '{imageName}' is empty.");
        }

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            throw new InvalidImageException(imageName, $"The image '{imageName}' is not a JPEG or PNG image that can be decoded.");
        }

        if (codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png))
        {
            throw new InvalidImageException(imageName, $"The image '{imageName}' is {codec.EncodedFormat}; only JPEG and PNG are read.");
        }

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width < 1 || height < 1 || width > MaxDimension || height > MaxDimension)
        {
            throw new InvalidImageException(imageName, $"The image '{imageName}' is {width}×{height} pixels; each side must be 1 to {MaxDimension}.");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[info.BytesSize];
        var decoded = codec.GetPixels(info, pixels);

        // A truncated file decodes its first rows and reports IncompleteInput: a partial image must not pass as a photo.
        if (decoded != SKCodecResult.Success)
        {
            throw new InvalidImageException(imageName, $"The image '{imageName}' could not be decoded completely ({decoded}); the file may be truncated or corrupt.");
        }

        return (pixels, width, height);
    }

    /// <summary>Resizes, crops and normalizes decoded RGBA pixels.</summary>
    internal static float[] Preprocess(byte[] rgba, int width, int height, ImagePreprocessingOptions options)
    {
        // The shorter side becomes ResizeShorterSide; the other keeps the aspect ratio (rounded, never below the crop).
        var shorter = Math.Min(width, height);
        var scaledWidth = width == shorter ? options.ResizeShorterSide : (int)Math.Round((double)width * options.ResizeShorterSide / shorter);
        var scaledHeight = height == shorter ? options.ResizeShorterSide : (int)Math.Round((double)height * options.ResizeShorterSide / shorter);
        scaledWidth = Math.Max(scaledWidth, options.CropWidth);
        scaledHeight = Math.Max(scaledHeight, options.CropHeight);
        var left = (scaledWidth - options.CropWidth) / 2;
        var top = (scaledHeight - options.CropHeight) / 2;
        var columns = ResampleWeights.Create(width, scaledWidth, left, options.CropWidth);
        var rows = ResampleWeights.Create(height, scaledHeight, top, options.CropHeight);

        // Horizontal pass over every source row the vertical pass reads: [rows, crop width, RGB].
        var (firstRow, lastRow) = rows.SourceSpan;
        var sourceRows = lastRow - firstRow;
        var horizontal = new float[sourceRows * options.CropWidth * 3];
        for (var y = 0; y < sourceRows; y++)
        {
            var rowStart = (firstRow + y) * width * 4;
            for (var x = 0; x < options.CropWidth; x++)
            {
                float r = 0, g = 0, b = 0;
                var (start, weights) = columns[x];
                for (var k = 0; k < weights.Length; k++)
                {
                    var p = rowStart + ((start + k) * 4);
                    r += weights[k] * rgba[p];
                    g += weights[k] * rgba[p + 1];
                    b += weights[k] * rgba[p + 2];
                }

                var o = ((y * options.CropWidth) + x) * 3;
                horizontal[o] = r;
                horizontal[o + 1] = g;
                horizontal[o + 2] = b;
            }
        }

        var scale = options.PixelRange == ImagePixelRange.ZeroToOne ? 1f / 255f : 1f;
        var (cw, ch) = (options.CropWidth, options.CropHeight);
        var result = new float[3 * cw * ch];
        Span<float> rgb = stackalloc float[3];
        for (var y = 0; y < ch; y++)
        {
            var (start, weights) = rows[y];
            for (var x = 0; x < cw; x++)
            {
                rgb.Clear();
                for (var k = 0; k < weights.Length; k++)
                {
                    var o = ((((start + k) - firstRow) * cw) + x) * 3;
                    rgb[0] += weights[k] * horizontal[o];
                    rgb[1] += weights[k] * horizontal[o + 1];
                    rgb[2] += weights[k] * horizontal[o + 2];
                }

                for (var c = 0; c < 3; c++)
                {
                    // Channel c of the tensor is red, green, blue (RGB) or blue, green, red (BGR).
                    var value = rgb[options.ChannelOrder == ImageChannelOrder.Rgb ? c : 2 - c];
                    var normalized = ((value * scale) - options.Mean[c]) / options.StandardDeviation[c];
                    var index = options.Layout == ImageTensorLayout.Nchw ? (c * ch * cw) + (y * cw) + x : (((y * cw) + x) * 3) + c;
                    result[index] = normalized;
                }
            }
        }

        return result;
    }

    /// <summary>For each output pixel along one axis: the first source pixel and the weights of the source pixels from there.</summary>
    private sealed class ResampleWeights
    {
        private readonly (int Start, float[] Weights)[] _entries;

        private ResampleWeights((int Start, float[] Weights)[] entries, (int First, int End) span)
        {
            _entries = entries;
            SourceSpan = span;
        }

        /// <summary>Gets the source pixels [first, end) that any output reads.</summary>
        public (int First, int End) SourceSpan { get; }

        public (int Start, float[] Weights) this[int index] => _entries[index];

        /// <summary>Weights for outputs [offset, offset + count) of an axis of <paramref name="inSize"/> pixels resized to <paramref name="outSize"/>.</summary>
        public static ResampleWeights Create(int inSize, int outSize, int offset, int count)
        {
            var ratio = (double)inSize / outSize;

            // Shrinking widens the triangle to the reduction factor so that every source pixel contributes.
            var filterScale = Math.Max(ratio, 1.0);
            var support = filterScale;
            var entries = new (int, float[])[count];
            var (first, end) = (int.MaxValue, 0);
            for (var i = 0; i < count; i++)
            {
                var center = (offset + i + 0.5) * ratio;
                var start = Math.Max(0, (int)Math.Floor(center - support + 0.5));
                var stop = Math.Min(inSize, (int)Math.Floor(center + support + 0.5));
                var weights = new double[Math.Max(stop - start, 1)];
                double total = 0;
                for (var k = 0; k < stop - start; k++)
                {
                    var distance = (start + k + 0.5 - center) / filterScale;
                    weights[k] = Math.Max(0.0, 1.0 - Math.Abs(distance));
                    total += weights[k];
                }

                if (total <= 0)
                {
                    // Cannot happen for a non-empty window, but never divide by zero: take the nearest pixel.
                    start = Math.Clamp((int)center, 0, inSize - 1);
                    weights = [1.0];
                    total = 1.0;
                }

                var normalized = new float[weights.Length];
                for (var k = 0; k < weights.Length; k++)
                {
                    normalized[k] = (float)(weights[k] / total);
                }

                entries[i] = (start, normalized);
                first = Math.Min(first, start);
                end = Math.Max(end, start + normalized.Length);
            }

            return new ResampleWeights(entries, (first, end));
        }
    }
}
