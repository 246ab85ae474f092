using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MLNetInference.Core.Onnx;
using Microsoft.ML;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Pipeline.Images;
using MLNetInference.Pipeline.Scoring;
using Spectre.Console;

namespace MLNetInference.Cli;

/// <summary><c>optimize &lt;in.onnx&gt; -o &lt;out.onnx&gt; --recipe &lt;steps&gt; [--calibration-text f | --calibration-images dir] [--int4-keep-float n] [--json report.json]</c>.</summary>
internal static class OptimizeCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("input") { Description = "The ONNX model to optimize." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Where to write the optimized model.", Required = true };
        var recipe = new Option<string>("--recipe") { Description = $"Steps joined with '+': {string.Join(", ", OptimizationRecipe.KnownSteps)}.", DefaultValueFactory = _ => OptimizationRecipe.Fuse };
        var calibration = new Option<FileInfo?>("--calibration-text") { Description = "A text file, one sample per line, for static quantization, and for int4-weights' sensitivity measurement (its first 8 lines)." };
        var keepFloat = new Option<int?>("--int4-keep-float") { Description = $"int4-weights: keep up to this many MatMuls in float, those whose quantization costs the model's output most, found by putting each back to float alone on sample inputs (default {Int4Options.RecipeDefaultKeepInFloat}; 0 quantizes every one)." };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the report as JSON." };
        var sequence = new Option<int>("--sequence-length") { Description = "Sequence length of generated inputs for text models.", DefaultValueFactory = _ => 128 };
        var method = new Option<CalibrationMethod>("--calibration-method") { Description = "How int8-static chooses activation ranges: MinMax, Percentile or Entropy.", DefaultValueFactory = _ => CalibrationMethod.MinMax };
        var vocab = new Option<FileInfo?>("--vocab") { Description = "The WordPiece vocabulary that tokenizes --calibration-text; vocab.txt beside the model by default." };
        var images = new Option<DirectoryInfo?>("--calibration-images") { Description = "A folder of JPEG/PNG images for static quantization of an image model (up to 256, sorted by name), preprocessed as the --image-* options state." };
        var resize = new Option<int?>("--image-resize") { Description = "Resize each image's shorter side to this many pixels before the centre crop (default: the model's input size × 256/224)." };
        var mean = new Option<string>("--image-mean") { Description = "Per-channel mean subtracted after scaling, three comma-separated values in channel order.", DefaultValueFactory = _ => "0.485,0.456,0.406" };
        var std = new Option<string>("--image-std") { Description = "Per-channel standard deviation divided by, three comma-separated values in channel order.", DefaultValueFactory = _ => "0.229,0.224,0.225" };
        var channels = new Option<ImageChannelOrder>("--image-channels") { Description = "Channel order of the model input: Rgb or Bgr.", DefaultValueFactory = _ => ImageChannelOrder.Rgb };
        var range = new Option<ImagePixelRange>("--image-range") { Description = "Pixel scale before normalizing: ZeroToOne (pixel/255) or ZeroTo255.", DefaultValueFactory = _ => ImagePixelRange.ZeroToOne };
        var command = new Command("optimize", "Optimize a model with a recipe, then compare it with the original: node counts, size, latency at batch 1 and 16, accuracy.")
        {
            input, output, recipe, calibration, json, sequence, method, vocab, images, resize, mean, std, channels, range, keepFloat,
        };
        command.SetAction(result => Run(
            result.GetValue(input)!,
            result.GetValue(output)!,
            result.GetValue(recipe)!,
            result.GetValue(calibration),
            result.GetValue(json),
            result.GetValue(sequence),
            new CalibrationChoice(
                result.GetValue(method),
                result.GetValue(vocab),
                result.GetValue(images),
                new ImageChoice(result.GetValue(resize), result.GetValue(mean)!, result.GetValue(std)!, result.GetValue(channels), result.GetValue(range))),
            result.GetValue(keepFloat)));
        return command;
    }

    private static int Run(FileInfo input, FileInfo output, string recipeText, FileInfo? calibration, FileInfo? json, int sequenceLength, CalibrationChoice choice, int? int4KeepFloat)
    {
        OptimizationRecipe recipe;
        try
        {
            recipe = OptimizationRecipe.Parse(recipeText);
        }
        catch (ArgumentException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 2;
        }

        if (!input.Exists)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] the model '{input.FullName}' does not exist.");
            return 2;
        }

        if (int4KeepFloat < 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] --int4-keep-float must be 0 or more, not {int4KeepFloat}.");
            return 2;
        }

        if (calibration is not null && !calibration.Exists)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] the calibration file '{calibration.FullName}' does not exist.");
            return 2;
        }

        if (choice.Images is not null && calibration is not null)
        {
            AnsiConsole.MarkupLine("[red]error:[/] pass --calibration-text or --calibration-images, not both.");
            return 2;
        }

        if (choice.Images is not null && !choice.Images.Exists)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] the calibration image folder '{choice.Images.FullName}' does not exist.");
            return 2;
        }

        try
        {
            // Loaded through OnnxModelIO so that weights kept in side files (external data) come along.
            var original = OnnxModelIO.ToBytes(OnnxModelIO.Load(input.FullName));
            // int4-weights measures which MatMuls to keep in float on real samples when there are some.
            var calibrationData = recipe.StepNames.Contains(OptimizationRecipe.Int8Static)
                || (recipe.StepNames.Contains(OptimizationRecipe.Int4Weights) && (calibration is not null || choice.Images is not null))
                ? Calibration(original, input, calibration, choice, sequenceLength)
                : null;
            var int4 = int4KeepFloat is { } keep ? Int4Options.RecipeDefault.KeepingMostSensitiveInFloat(keep) : null;
            OptimizationResult? result = null;
            LatencyReport? latency = null;
            AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new SpinnerColumn()).Start(context =>
            {
                var optimize = context.AddTask($"optimize ({recipe})", maxValue: 1);
                result = ModelOptimizer.Optimize(original, recipe, new RecipeContext { Samples = new SampleInputOptions { SequenceLength = Math.Min(sequenceLength, 32) }, Calibration = calibrationData, Int4 = int4 });
                optimize.Increment(1);
                var timing = context.AddTask("latency, batch 1 and 16 (ORT_ENABLE_ALL)", maxValue: 1);
                latency = LatencyProbe.Measure(original, result.Model, sequenceLength);
                timing.Increment(1);
            });

            Directory.CreateDirectory(output.DirectoryName ?? ".");
            File.WriteAllBytes(output.FullName, result!.Model);
            Print(input, output, result, latency!);
            if (json is not null)
            {
                var report = new
                {
                    input = input.FullName,
                    output = output.FullName,
                    recipe = result.Recipe,
                    nodes = new { before = result.NodesBefore, after = result.NodesAfter },
                    bytes = new { before = result.BytesBefore, after = result.BytesAfter },
                    applied = result.Applied,
                    unchanged_reason = result.UnchangedReason,
                    rolled_back = result.RolledBack,
                    passes = result.Passes,
                    latency_ms = latency,
                    cpu_int8 = new { instruction_set = CpuInt8Kernels.InstructionSet, fast = CpuInt8Kernels.HasFastInt8 },
                    verification = result.Verification,
                };
                File.WriteAllText(json.FullName, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            }

            return 0;
        }
        catch (Exception ex) when (ex is OnnxFormatException or PassFailedException or NotSupportedException or IOException or ArgumentException or InferenceException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or MLNetInference.Core.Runtime.OnnxModelLoadException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The calibration of <c>int8-static</c>: each line of <paramref name="text"/> tokenized for BERT (up to 256 lines), or,
    /// without text (an image model), 16 generated inputs, with a warning.
    /// </summary>
    private static CalibrationData Calibration(byte[] model, FileInfo input, FileInfo? text, CalibrationChoice choice, int sequenceLength)
    {
        const int MaxLines = 256;
        var options = new StaticInt8Options { Method = choice.Method, MaxCalibrationSamples = MaxLines };
        if (choice.Images is not null)
        {
            var fitted = ImageCalibration.DefaultOptionsFor(model);
            var preprocessing = new ImagePreprocessingOptions
            {
                CropWidth = fitted.CropWidth,
                CropHeight = fitted.CropHeight,
                Layout = fitted.Layout,
                ResizeShorterSide = choice.Image.Resize ?? fitted.ResizeShorterSide,
                Mean = Floats(choice.Image.Mean, "--image-mean"),
                StandardDeviation = Floats(choice.Image.Std, "--image-std"),
                ChannelOrder = choice.Image.Channels,
                PixelRange = choice.Image.Range,
            };

            // Decode every image up front, so that a bad file is reported by name before quantization starts.
            var samples = ImageCalibration.FromFolder(choice.Images.FullName, model, preprocessing, MaxLines).ToList();
            AnsiConsole.MarkupLineInterpolated($"calibrating on {samples.Count} images from {choice.Images.FullName} (shorter side {preprocessing.ResizeShorterSide}, centre crop {preprocessing.CropWidth}×{preprocessing.CropHeight}, {preprocessing.ChannelOrder}, {preprocessing.Layout}, {preprocessing.PixelRange})");
            return new CalibrationData(samples, options);
        }

        if (text is null)
        {
            AnsiConsole.MarkupLine("[yellow]warning:[/] int8-static without --calibration-text or --calibration-images calibrates on 16 generated inputs; pass real samples for an accurate model.");
            return new CalibrationData(SampleInputGenerator.Generate(model, new SampleInputOptions { SampleCount = 16, BatchSize = 1, SequenceLength = Math.Min(sequenceLength, 32) }), options);
        }

        var vocab = choice.Vocab ?? new FileInfo(Path.Combine(input.DirectoryName ?? ".", "vocab.txt"));
        if (!vocab.Exists)
        {
            throw new ArgumentException($"The vocabulary '{vocab.FullName}' that tokenizes --calibration-text does not exist; pass it with --vocab.");
        }

        var lines = File.ReadLines(text.FullName).Where(l => !string.IsNullOrWhiteSpace(l)).Take(MaxLines).Select(l => new TextLine { Text = l }).ToList();
        if (lines.Count == 0)
        {
            throw new ArgumentException($"The calibration file '{text.FullName}' has no non-empty line.");
        }

        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(lines);
        var tokenized = ml.Transforms.TokenizeForBert(nameof(TextLine.Text), vocab.FullName, maxLength: sequenceLength).Fit(data).Transform(data);
        return new CalibrationData(DataViewCalibration.Read(tokenized, model, maxRows: MaxLines), options);
    }

    private static void Print(FileInfo input, FileInfo output, OptimizationResult result, LatencyReport latency)
    {
        foreach (var warning in result.Warnings)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }

        foreach (var rollback in result.RolledBack)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]rolled back:[/] {rollback}");
        }

        if (result.UnchangedReason is { } reason)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]unchanged:[/] {reason}");
        }

        var table = new Table().AddColumns("", "original", "optimized", "ratio");
        table.AddRow("nodes", result.NodesBefore.ToString(CultureInfo.InvariantCulture), result.NodesAfter.ToString(CultureInfo.InvariantCulture), Ratio(result.NodesBefore, result.NodesAfter));
        table.AddRow("size (MB)", Mb(result.BytesBefore), Mb(result.BytesAfter), Ratio(result.BytesBefore, result.BytesAfter));
        table.AddRow("latency b1 (ms, median)", Ms(latency.OriginalBatch1), Ms(latency.OptimizedBatch1), Ratio(latency.OriginalBatch1, latency.OptimizedBatch1));
        table.AddRow("latency b16 (ms, median)", Ms(latency.OriginalBatch16), Ms(latency.OptimizedBatch16), Ratio(latency.OriginalBatch16, latency.OptimizedBatch16));
        AnsiConsole.MarkupLineInterpolated($"[bold]{input.Name}[/] → [bold]{output.FullName}[/] ({result.Recipe})");
        AnsiConsole.Write(table);
        if (!CpuInt8Kernels.HasFastInt8 && result.Recipe.Contains("int8", StringComparison.Ordinal))
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] this CPU's 8-bit kernels use {CpuInt8Kernels.InstructionSet}: INT8 runs at about fp32 speed here; on a CPU with VNNI our INT8 recipes measured 2.4-3.4x fp32. Measure on the kind of machine that will serve the model.");
        }

        var check = new Table().AddColumns("output", "max abs diff", "cosine mean", "cosine min", "top-1 agreement");
        foreach (var o in result.Verification.Outputs)
        {
            check.AddRow(o.Name, o.Problem ?? o.MaxAbsDiff.ToString("G3", CultureInfo.InvariantCulture), o.MeanCosine.ToString("F6", CultureInfo.InvariantCulture), o.MinCosine.ToString("F6", CultureInfo.InvariantCulture), o.Top1Agreement.ToString("P1", CultureInfo.InvariantCulture));
        }

        AnsiConsole.MarkupLineInterpolated($"accuracy against the original on {result.Verification.SampleCount} generated samples:");
        AnsiConsole.Write(check);
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture);

    private static string Ms(double ms) => ms.ToString("F2", CultureInfo.InvariantCulture);

    private static string Ratio(double before, double after) => after <= 0 ? "-" : (before / after).ToString("F2", CultureInfo.InvariantCulture) + "×";

    private static float[] Floats(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new ArgumentException($"{option} '{text}' is not a comma-separated list of numbers.");
            }
        }

        return values.Length == 3 ? values : throw new ArgumentException($"{option} '{text}' must hold three values, one per channel.");
    }

    private sealed record CalibrationChoice(CalibrationMethod Method, FileInfo? Vocab, DirectoryInfo? Images, ImageChoice Image);

    private sealed record ImageChoice(int? Resize, string Mean, string Std, ImageChannelOrder Channels, ImagePixelRange Range);

    private sealed class TextLine
    {
        public string Text { get; set; } = string.Empty;
    }
}
