using SkiaSharp;

namespace MLNetInference.Pipeline.Tests.Images;

/// <summary>Encodes small images with known pixel values, so that decoding and preprocessing can be checked exactly.</summary>
internal static class TestImages
{
    /// <summary>Encodes RGB pixels (row by row, three bytes each) as a lossless PNG.</summary>
    public static byte[] Png(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                bitmap.SetPixel(x, y, new SKColor(r, g, b, 255));
            }
        }

        return Encode(bitmap, SKEncodedImageFormat.Png, 100);
    }

    /// <summary>Encodes a one-channel (grayscale) PNG.</summary>
    public static byte[] GrayPng(int width, int height, Func<int, int, byte> value)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var v = value(x, y);
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        }

        return Encode(bitmap, SKEncodedImageFormat.Png, 100);
    }

    /// <summary>Encodes a JPEG of one flat colour.</summary>
    public static byte[] FlatJpeg(int width, int height, (byte R, byte G, byte B) colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(colour.R, colour.G, colour.B));
        return Encode(bitmap, SKEncodedImageFormat.Jpeg, 95);
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }
}
