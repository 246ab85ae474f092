using Microsoft.ML;
using MLNetInference.Core;
using MLNetInference.Models;
using MLNetInference.Pipeline.Images;

namespace MLNetInference.Pipeline.Tests.Images;

[TestClass]
public sealed class ImageCalibrationTests
{
    private static byte[] s_resNet18 = [];

    [ClassInitialize]
    public static void LoadModel(TestContext context)
    {
        _ = context;
        s_resNet18 = File.ReadAllBytes(ModelPaths.ResNet18Model);
    }

    [TestMethod]
    public void FromFolder_ResNet18_GivesOneInput247SamplePerPhotograph()
    {
        var samples = ImageCalibration.FromFolder(SamplePhotos.CalibrationDirectory, s_resNet18).ToList();

        Assert.HasCount(SamplePhotos.Calibration.Count, samples);
        foreach (var sample in samples)
        {
            var tensor = sample["Input247"];
            CollectionAssert.AreEqual(new long[] { 1, 3, 224, 224 }, tensor.Shape);
            Assert.HasCount(3 * 224 * 224, (float[])tensor.Data);
        }

        CollectionAssert.AreEqual(ImagePreprocessor.Preprocess(SamplePhotos.Calibration[0]), (float[])samples[0]["Input247"].Data, "the folder is read in name order with ImageNet preprocessing");
    }

    [TestMethod]
    public void DefaultOptionsFor_ResNet18_IsImageNetAt224()
    {
        var options = ImageCalibration.DefaultOptionsFor(s_resNet18);

        Assert.AreEqual(224, options.CropWidth);
        Assert.AreEqual(224, options.CropHeight);
        Assert.AreEqual(256, options.ResizeShorterSide);
        Assert.AreEqual(ImageTensorLayout.Nchw, options.Layout);
        CollectionAssert.AreEqual(new[] { 0.485f, 0.456f, 0.406f }, options.Mean.ToArray());
    }

    [TestMethod]
    public void FromFolder_MaxImages_StopsThere()
    {
        Assert.HasCount(3, ImageCalibration.FromFolder(SamplePhotos.CalibrationDirectory, s_resNet18, maxImages: 3).ToList());
    }

    [TestMethod]
    public void Read_DataViewOfPathsAndOfBytes_GivesTheSameSamplesAsTheFolder()
    {
        var ml = new MLContext(seed: 0);
        var rows = SamplePhotos.Calibration.Take(2).Select(p => new ImageRow { Path = p, Bytes = File.ReadAllBytes(p) }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var expected = ImageCalibration.FromFolder(SamplePhotos.CalibrationDirectory, s_resNet18, maxImages: 2).ToList();

        var fromPaths = ImageCalibration.Read(data, nameof(ImageRow.Path), s_resNet18).ToList();
        var fromBytes = ImageCalibration.Read(data, nameof(ImageRow.Bytes), s_resNet18).ToList();

        Assert.HasCount(2, fromPaths);
        Assert.HasCount(2, fromBytes);
        for (var i = 0; i < 2; i++)
        {
            CollectionAssert.AreEqual((float[])expected[i]["Input247"].Data, (float[])fromPaths[i]["Input247"].Data);
            CollectionAssert.AreEqual((float[])expected[i]["Input247"].Data, (float[])fromBytes[i]["Input247"].Data);
        }
    }

    [TestMethod]
    public void Read_ColumnOfNumbers_ThrowsInvalidInputException()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(new[] { new NumberRow { Value = 1f } });

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => ImageCalibration.Read(data, nameof(NumberRow.Value), s_resNet18));
        Assert.AreEqual(nameof(NumberRow.Value), ex.InputName);
    }

    [TestMethod]
    public void Read_PathOfAMissingFile_ThrowsInvalidImageExceptionWhenRead()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(new[] { new ImageRow { Path = "/no/such/photo.jpg", Bytes = [1] } });

        var samples = ImageCalibration.Read(data, nameof(ImageRow.Path), s_resNet18);

        var ex = Assert.ThrowsExactly<InvalidImageException>(() => samples.ToList());
        StringAssert.Contains(ex.Message, "/no/such/photo.jpg");
    }

    [TestMethod]
    public void FromFolder_ABadFile_ThrowsInvalidImageExceptionNamingIt()
    {
        var folder = Directory.CreateTempSubdirectory("image-calibration-").FullName;
        try
        {
            File.Copy(SamplePhotos.Calibration[0], Path.Combine(folder, "a.jpg"));
            File.WriteAllText(Path.Combine(folder, "b.png"), "this is not a PNG");

            var ex = Assert.ThrowsExactly<InvalidImageException>(() => ImageCalibration.FromFolder(folder, s_resNet18).ToList());

            StringAssert.EndsWith(ex.ImageName, "b.png");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void FromFolder_NoImageInFolder_ThrowsArgumentException()
    {
        var folder = Directory.CreateTempSubdirectory("image-calibration-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "no images here");

            Assert.ThrowsExactly<ArgumentException>(() => ImageCalibration.FromFolder(folder, s_resNet18));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void FromFolder_MissingFolder_ThrowsDirectoryNotFoundException()
    {
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => ImageCalibration.FromFolder(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")), s_resNet18));
    }

    [TestMethod]
    public void FromFolder_OptionsThatDoNotFitTheInput_ThrowsInvalidInputException()
    {
        var options = new ImagePreprocessingOptions { CropWidth = 299, CropHeight = 299, ResizeShorterSide = 342 };

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => ImageCalibration.FromFolder(SamplePhotos.CalibrationDirectory, s_resNet18, options));
        Assert.AreEqual("Input247", ex.InputName);
    }

    [TestMethod]
    public void FromFolder_TextModel_ThrowsInvalidInputException()
    {
        var miniLm = File.ReadAllBytes(ModelPaths.MiniLmModel);

        Assert.ThrowsExactly<InvalidInputException>(() => ImageCalibration.FromFolder(SamplePhotos.CalibrationDirectory, miniLm));
    }

    private sealed class ImageRow
    {
        public string Path { get; set; } = string.Empty;

        public byte[] Bytes { get; set; } = [];
    }

    private sealed class NumberRow
    {
        public float Value { get; set; }
    }
}
