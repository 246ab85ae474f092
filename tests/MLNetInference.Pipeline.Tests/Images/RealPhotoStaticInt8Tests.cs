using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Pipeline.Images;

namespace MLNetInference.Pipeline.Tests.Images;

/// <summary>
/// ResNet18 <c>fuse+int8-static</c> calibrated on the calibration photographs and measured on the held-out ones, which
/// share no photograph: the features must stay close to fp32 on real images, not only on generated ones.
/// </summary>
[TestClass]
public sealed class RealPhotoStaticInt8Tests
{
    [TestMethod]
    public void FuseInt8Static_CalibratedOnPhotographs_KeepsHeldOutFeaturesCloseToFp32()
    {
        var original = File.ReadAllBytes(ModelPaths.ResNet18Model);
        var result = ModelOptimizer.Optimize(
            original,
            OptimizationRecipe.Parse("fuse+int8-static"),
            new RecipeContext
            {
                Samples = new SampleInputOptions { SampleCount = 1, BatchSize = 1 },
                Calibration = new CalibrationData(ImageCalibration.FromFolder(SamplePhotos.CalibrationDirectory, original)),
            });
        Assert.IsEmpty(result.Warnings, string.Join("; ", result.Warnings));

        using var fp32 = new InferenceSession(original);
        using var int8 = new InferenceSession(result.Model);
        var cosines = new List<double>();
        foreach (var photo in SamplePhotos.HeldOut)
        {
            var pixels = ImagePreprocessor.Preprocess(photo);
            cosines.Add(TensorPrimitives.CosineSimilarity<float>(Run(fp32, pixels), Run(int8, pixels)));
        }

        var detail = string.Join(", ", SamplePhotos.HeldOut.Zip(cosines, (p, c) => $"{Path.GetFileName(p)} {c:F4}"));
        Assert.IsGreaterThanOrEqualTo(0.99, cosines.Average(), detail);
        Assert.IsGreaterThanOrEqualTo(0.95, cosines.Min(), detail);
    }

    private static float[] Run(InferenceSession session, float[] pixels)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputNames[0]], [input], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
