using MLNetInference.Models;
using MLNetInference.Pipeline.Images;

namespace MLNetInference.Pipeline.Tests.Images;

[TestClass]
public sealed class ImagePreprocessorTests
{
    // Identity normalization in 0-255 leaves each tensor value equal to its 8-bit pixel value.
    private static readonly ImagePreprocessingOptions Raw = new()
    {
        ResizeShorterSide = 2,
        CropWidth = 2,
        CropHeight = 2,
        Mean = [0f, 0f, 0f],
        StandardDeviation = [1f, 1f, 1f],
        PixelRange = ImagePixelRange.ZeroTo255,
    };

    [TestMethod]
    public void Preprocess_PngAtCropSize_GivesItsPixelsAsRgbPlanes()
    {
        var png = TestImages.Png(2, 2, (x, y) => ((byte)(10 + x + (2 * y)), (byte)(100 + x + (2 * y)), (byte)(200 + x + (2 * y))));

        var tensor = ImagePreprocessor.Preprocess(png, "known.png", Raw);

        CollectionAssert.AreEqual(new float[] { 10, 11, 12, 13, 100, 101, 102, 103, 200, 201, 202, 203 }, tensor);
    }

    [TestMethod]
    public void Preprocess_BgrNhwc_InterleavesChannelsBlueFirst()
    {
        var png = TestImages.Png(2, 2, (x, y) => ((byte)(10 + x + (2 * y)), (byte)(100 + x + (2 * y)), (byte)(200 + x + (2 * y))));
        var options = new ImagePreprocessingOptions
        {
            ResizeShorterSide = 2, CropWidth = 2, CropHeight = 2, Mean = [0f, 0f, 0f], StandardDeviation = [1f, 1f, 1f],
            PixelRange = ImagePixelRange.ZeroTo255, ChannelOrder = ImageChannelOrder.Bgr, Layout = ImageTensorLayout.Nhwc,
        };

        var tensor = ImagePreprocessor.Preprocess(png, "known.png", options);

        CollectionAssert.AreEqual(new float[] { 200, 100, 10, 201, 101, 11, 202, 102, 12, 203, 103, 13 }, tensor);
        CollectionAssert.AreEqual(new long[] { 1, 2, 2, 3 }, options.TensorShape);
    }

    [TestMethod]
    public void Preprocess_ImageNetOptions_NormalizesEachChannelWithItsMeanAndDeviation()
    {
        var png = TestImages.Png(300, 260, (_, _) => (255, 128, 0));

        var tensor = ImagePreprocessor.Preprocess(png, "flat.png", ImagePreprocessingOptions.ImageNet);

        Assert.HasCount(3 * 224 * 224, tensor);
        var plane = 224 * 224;
        Assert.AreEqual((1f - 0.485f) / 0.229f, tensor[0], 1e-4f, "red: (255/255 - 0.485) / 0.229");
        Assert.AreEqual(((128f / 255f) - 0.456f) / 0.224f, tensor[plane + 5000], 1e-4f, "green");
        Assert.AreEqual((0f - 0.406f) / 0.225f, tensor[(2 * plane) + plane - 1], 1e-4f, "blue");
    }

    [TestMethod]
    public void Preprocess_WiderImage_CropsTheCentreColumns()
    {
        // Four columns of distinct red; the shorter side is already 2, so only the crop acts: columns 1 and 2 remain.
        var png = TestImages.Png(4, 2, (x, _) => ((byte)(50 * (x + 1)), 0, 0));

        var tensor = ImagePreprocessor.Preprocess(png, "wide.png", Raw);

        CollectionAssert.AreEqual(new float[] { 100, 150, 100, 150 }, tensor[..4]);
    }

    [TestMethod]
    public void Preprocess_HalvingAStripedImage_AveragesNeighbours()
    {
        // Black and white columns alternate; shrinking by two must average them to mid-grey, not sample one of them.
        var png = TestImages.Png(8, 8, (x, _) => x % 2 == 0 ? ((byte)0, (byte)0, (byte)0) : ((byte)255, (byte)255, (byte)255));
        var options = new ImagePreprocessingOptions
        {
            ResizeShorterSide = 4, CropWidth = 2, CropHeight = 2, Mean = [0f, 0f, 0f], StandardDeviation = [1f, 1f, 1f], PixelRange = ImagePixelRange.ZeroTo255,
        };

        var tensor = ImagePreprocessor.Preprocess(png, "stripes.png", options);

        foreach (var value in tensor)
        {
            Assert.AreEqual(127.5f, value, 20f, string.Join(", ", tensor));
        }
    }

    [TestMethod]
    public void Preprocess_GrayscalePng_GivesThreeEqualChannels()
    {
        var png = TestImages.GrayPng(2, 2, (x, y) => (byte)(40 * (x + (2 * y))));

        var tensor = ImagePreprocessor.Preprocess(png, "gray.png", Raw);

        CollectionAssert.AreEqual(new float[] { 0, 40, 80, 120, 0, 40, 80, 120, 0, 40, 80, 120 }, tensor);
    }

    [TestMethod]
    public void Preprocess_Jpeg_DecodesCloseToItsColour()
    {
        var jpeg = TestImages.FlatJpeg(16, 16, (200, 100, 50));

        var tensor = ImagePreprocessor.Preprocess(jpeg, "flat.jpg", Raw);

        Assert.AreEqual(200f, tensor[0], 3f);
        Assert.AreEqual(100f, tensor[4], 3f);
        Assert.AreEqual(50f, tensor[8], 3f);
    }

    [TestMethod]
    public void Preprocess_RealPhotograph_GivesAFullTensorOfFiniteValues()
    {
        var tensor = ImagePreprocessor.Preprocess(SamplePhotos.HeldOut[0]);

        Assert.HasCount(3 * 224 * 224, tensor);
        Assert.IsTrue(tensor.All(float.IsFinite));
        Assert.IsGreaterThan(1.0, tensor.Max() - tensor.Min(), "a photograph has contrast");
    }

    [TestMethod]
    public void Preprocess_EmptyBytes_ThrowsInvalidImageException()
    {
        var ex = Assert.ThrowsExactly<InvalidImageException>(() => ImagePreprocessor.Preprocess([], "empty.jpg"));
        Assert.AreEqual("empty.jpg", ex.ImageName);
    }

    [TestMethod]
    public void Preprocess_TextBytes_ThrowsInvalidImageExceptionNamingTheImage()
    {
        var ex = Assert.ThrowsExactly<InvalidImageException>(() => ImagePreprocessor.Preprocess("not an image at all"u8, "notes.png"));
        StringAssert.Contains(ex.Message, "notes.png");
    }

    [TestMethod]
    [DataRow("png")]
    [DataRow("jpg")]
    public void Preprocess_TruncatedFile_ThrowsInvalidImageException(string kind)
    {
        var whole = kind == "png" ? TestImages.Png(64, 64, (x, y) => ((byte)x, (byte)y, (byte)(x ^ y))) : File.ReadAllBytes(SamplePhotos.HeldOut[0]);

        Assert.ThrowsExactly<InvalidImageException>(() => ImagePreprocessor.Preprocess(whole.AsSpan(0, whole.Length / 2), $"cut.{kind}"));
    }

    [TestMethod]
    public void Preprocess_MissingFile_ThrowsFileNotFoundException()
    {
        Assert.ThrowsExactly<FileNotFoundException>(() => ImagePreprocessor.Preprocess(Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.jpg")));
    }

    [TestMethod]
    public void Validate_ResizeSmallerThanCrop_ThrowsArgumentOutOfRange()
    {
        var options = new ImagePreprocessingOptions { ResizeShorterSide = 200 };

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);
    }
}
