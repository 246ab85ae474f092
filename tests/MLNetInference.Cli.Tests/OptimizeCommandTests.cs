using System.Reflection;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization;
using Spectre.Console;

namespace MLNetInference.Cli.Tests;

/// <summary>The <c>optimize</c> command's image calibration, run in-process through the tool's entry point.</summary>
[TestClass]
public sealed class OptimizeCommandTests
{
    [TestMethod]
    public void Optimize_CalibrationImages_QuantizesResNet18StaticallyWithoutTheGeneratedInputWarning()
    {
        var folder = Directory.CreateTempSubdirectory("cli-images-").FullName;
        try
        {
            var output = Path.Combine(folder, "resnet18.int8.onnx");
            var report = Path.Combine(folder, "report.json");

            var (code, text) = Run("optimize", ModelPaths.ResNet18Model, "-o", output, "--recipe", "fuse+int8-static", "--calibration-images", SamplePhotos.CalibrationDirectory, "--json", report);

            Assert.AreEqual(0, code, text);
            StringAssert.Contains(text, $"calibrating on {SamplePhotos.Calibration.Count} images");
            Assert.DoesNotContain("generated inputs", text, "calibration ran on the images, not on generated inputs");
            using var session = new InferenceSession(output);
            Assert.AreEqual("Input247", session.InputNames[0]);
            using var json = JsonDocument.Parse(File.ReadAllText(report));
            Assert.AreEqual("fuse+int8-static", json.RootElement.GetProperty("recipe").GetString());

            // Whether INT8 can be fast on this CPU is said beside the latencies, and recorded in the report.
            Assert.AreEqual(!CpuInt8Kernels.HasFastInt8, text.Contains("INT8 runs at about fp32 speed here", StringComparison.Ordinal), text);
            Assert.AreEqual(CpuInt8Kernels.InstructionSet, json.RootElement.GetProperty("cpu_int8").GetProperty("instruction_set").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Optimize_CalibrationImagesFolderMissing_ExitsWithUsageError()
    {
        var (code, text) = Run("optimize", ModelPaths.ResNet18Model, "-o", Path.Combine(Path.GetTempPath(), "never.onnx"), "--recipe", "fuse+int8-static", "--calibration-images", "/no/such/folder");

        Assert.AreEqual(2, code, text);
        StringAssert.Contains(text, "/no/such/folder");
    }

    [TestMethod]
    public void Optimize_ABadImageInTheFolder_ExitsWithAnErrorNamingIt()
    {
        var folder = Directory.CreateTempSubdirectory("cli-images-").FullName;
        try
        {
            File.Copy(SamplePhotos.Calibration[0], Path.Combine(folder, "a.jpg"));
            File.WriteAllBytes(Path.Combine(folder, "broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 16]);

            var (code, text) = Run("optimize", ModelPaths.ResNet18Model, "-o", Path.Combine(folder, "out.onnx"), "--recipe", "fuse+int8-static", "--calibration-images", folder);

            Assert.AreEqual(1, code, text);
            StringAssert.Contains(text, "broken.jpg");
            Assert.IsFalse(File.Exists(Path.Combine(folder, "out.onnx")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Optimize_ImageMeanWithTwoValues_ExitsWithAnError()
    {
        var (code, text) = Run("optimize", ModelPaths.ResNet18Model, "-o", Path.Combine(Path.GetTempPath(), "never.onnx"), "--recipe", "fuse+int8-static", "--calibration-images", SamplePhotos.CalibrationDirectory, "--image-mean", "0.5,0.5");

        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--image-mean");
    }

    [TestMethod]
    public void Optimize_Int4KeepFloat_KeepsThatManyWeightMatMulsInFloat()
    {
        var folder = Directory.CreateTempSubdirectory("cli-int4-").FullName;
        try
        {
            var input = ZooModels.Get("bert-opset13-pt1").WriteTo(folder);
            var output = Path.Combine(folder, "int4.onnx");
            var weightMatMuls = WeightMatMuls(MLNetInference.Core.Onnx.OnnxModelIO.Load(input));

            var (code, text) = Run("optimize", input, "-o", output, "--recipe", "int4-weights", "--int4-keep-float", "2", "--sequence-length", "16");

            Assert.AreEqual(0, code, text);
            var optimized = MLNetInference.Core.Onnx.OnnxModelIO.Load(output);
            Assert.AreEqual(2, WeightMatMuls(optimized), text);
            Assert.AreEqual(weightMatMuls - 2, optimized.Graph.Node.Count(n => n.OpType == "MatMulNBits"), text);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Optimize_Int4KeepFloatNegative_ExitsWithUsageError()
    {
        var (code, text) = Run("optimize", ModelPaths.MiniLmModel, "-o", Path.Combine(Path.GetTempPath(), "never.onnx"), "--recipe", "int4-weights", "--int4-keep-float", "-1");

        Assert.AreEqual(2, code, text);
        StringAssert.Contains(text, "--int4-keep-float");
    }

    private static int WeightMatMuls(MLNetInference.Core.Onnx.Proto.ModelProto model)
    {
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return model.Graph.Node.Count(n => n.OpType == "MatMul" && n.Input.Count == 2 && initializers.Contains(n.Input[1]));
    }

    /// <summary>Runs the tool's entry point with <paramref name="args"/> and returns its exit code and console output.</summary>
    private static (int Code, string Output) Run(params string[] args)
    {
        var entry = Assembly.Load("mlnet-infer").EntryPoint ?? throw new InvalidOperationException("mlnet-infer has no entry point.");
        var original = Console.Out;
        var originalConsole = AnsiConsole.Console;
        using var writer = new StringWriter();
        Console.SetOut(writer);

        // Spectre.Console keeps the writer it was created with: give it this run's, wide enough not to wrap paths.
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        AnsiConsole.Profile.Width = 400;
        try
        {
            var code = (int)entry.Invoke(null, [args])!;
            return (code, writer.ToString());
        }
        finally
        {
            Console.SetOut(original);
            AnsiConsole.Console = originalConsole;
        }
    }
}
