using System.CommandLine;
using System.Globalization;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers;
using MLNetInference.Pipeline.Images;
using MLNetInference.Tuning;
using Spectre.Console;

namespace MLNetInference.Cli;

/// <summary>
/// <c>tune &lt;in.onnx&gt; -o &lt;dir&gt; [--max-cosine-drop 0.01] [--time-budget s] [--json report.json] [--samples f --vocab v]
/// [--concurrency n] [--p99-ms ms] [--cache dir] [--quick]</c>.
/// </summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("input") { Description = "The ONNX model to tune." };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "The folder for model.onnx, report.json, report.md, pareto.png and tuned.json.", Required = true };
        var maxCosineDrop = new Option<double>("--max-cosine-drop") { Description = "Largest allowed drop of the mean cosine to the original model.", DefaultValueFactory = _ => 0.01 };
        var metric = new Option<string>("--metric") { Description = "Accuracy metric: cosine (embeddings) or top1 (classifiers).", DefaultValueFactory = _ => "cosine" };
        var maxTop1Drop = new Option<double>("--max-top1-drop") { Description = "Largest allowed drop of top-1 agreement, with --metric top1.", DefaultValueFactory = _ => 0.01 };
        var budget = new Option<double?>("--time-budget") { Description = "Time budget of the whole tune, in seconds (default 600, 60 with --quick)." };
        var json = new Option<FileInfo?>("--json") { Description = "Also copy report.json to this file." };
        var samples = new Option<FileInfo?>("--samples") { Description = "A text file with one real sentence per line, for text models (with --vocab)." };
        var vocab = new Option<FileInfo?>("--vocab") { Description = "The WordPiece vocabulary (vocab.txt) that tokenizes --samples." };
        var concurrency = new Option<int>("--concurrency") { Description = "Closed-loop clients of the load measurements.", DefaultValueFactory = _ => 32 };
        var p99 = new Option<double?>("--p99-ms") { Description = "p99 latency ceiling at --concurrency, in milliseconds." };
        var cache = new Option<DirectoryInfo?>("--cache") { Description = "Cache folder: trials are stored by content hash, so a rerun is near instant." };
        var quick = new Option<bool>("--quick") { Description = "A small search space, few samples and short timings." };
        var images = new Option<DirectoryInfo?>("--calibration-images") { Description = "A folder of JPEG/PNG images, for image models: the samples that calibrate int8-static and check accuracy, with ImageNet preprocessing fitted to the model's input." };
        var command = new Command("tune", "Search recipes, session and batching settings for the fastest configuration within an accuracy budget and a latency ceiling.")
        {
            input, output, maxCosineDrop, metric, maxTop1Drop, budget, json, samples, vocab, concurrency, p99, cache, quick, images,
        };
        command.SetAction(result =>
        {
            var request = new TuningRequest
            {
                ModelPath = result.GetValue(input)!.FullName,
                OutputDirectory = result.GetValue(output)!.FullName,
                MaxCosineDrop = result.GetValue(maxCosineDrop),
                MaxTop1Drop = result.GetValue(maxTop1Drop),
                Concurrency = result.GetValue(concurrency),
                Quick = result.GetValue(quick),
                CacheDirectory = result.GetValue(cache)?.FullName,
            };
            if (result.GetValue(images) is { } folder)
            {
                if (result.GetValue(samples) is not null)
                {
                    AnsiConsole.MarkupLine("[red]error:[/] pass --samples or --calibration-images, not both.");
                    return 2;
                }

                try
                {
                    request.Samples = [.. ImageCalibration.FromFolder(folder.FullName, File.ReadAllBytes(request.ModelPath))];
                }
                catch (Exception ex) when (ex is IOException or ArgumentException or OnnxFormatException)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                    return 2;
                }
            }

            return Run(request, result.GetValue(metric)!, result.GetValue(budget), result.GetValue(p99), result.GetValue(samples), result.GetValue(vocab), result.GetValue(json));
        });
        return command;
    }

    private static int Run(TuningRequest request, string metric, double? budget, double? p99, FileInfo? samples, FileInfo? vocab, FileInfo? json)
    {
        switch (metric.ToLowerInvariant())
        {
            case "cosine":
                request.Metric = AccuracyMetric.Cosine;
                break;
            case "top1":
                request.Metric = AccuracyMetric.Top1Agreement;
                break;
            default:
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] unknown metric '{metric}'; use cosine or top1.");
                return 2;
        }

        if (budget is { } seconds)
        {
            request.TimeBudget = seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
        }

        if (p99 is { } ms)
        {
            request.P99LatencyCeiling = ms > 0 ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero;
        }

        if (samples is not null)
        {
            if (!samples.Exists)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] the samples file '{samples.FullName}' does not exist.");
                return 2;
            }

            if (vocab is null)
            {
                AnsiConsole.MarkupLine("[red]error:[/] --samples needs --vocab (the model's vocab.txt) to tokenize the sentences.");
                return 2;
            }

            request.Sentences = [.. File.ReadLines(samples.FullName).Where(l => !string.IsNullOrWhiteSpace(l))];
            request.VocabularyPath = vocab.FullName;
        }

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            TuningResult? result = null;
            AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn()).Start(context =>
            {
                var progress = new PhaseProgress(context);
                result = ModelTuner.TuneAsync(request, progress, cancel.Token).GetAwaiter().GetResult();
                progress.Complete();
            });

            Print(result!);
            if (json is not null)
            {
                Directory.CreateDirectory(json.DirectoryName ?? ".");
                File.Copy(result!.ReportJsonPath, json.FullName, overwrite: true);
            }

            return 0;
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is TuningException or OnnxFormatException or PassFailedException or IOException or InferenceException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or MLNetInference.Core.Runtime.OnnxModelLoadException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]cancelled.[/]");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static void Print(TuningResult result)
    {
        var report = result.Report;
        var best = result.Best;
        if (report.QuantizationWarning is { } warning)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{warning}[/]");
        }

        var table = new Table().AddColumns("", "best", "baseline (ORT defaults, original)");
        table.AddRow("recipe", best.Configuration.Candidate.Name, report.Baseline?.Configuration.Candidate.Name ?? "—");
        table.AddRow("session", best.Configuration.Session.ToString(), report.Baseline?.Configuration.Session.ToString() ?? "—");
        table.AddRow("batching", best.Configuration.Batching.ToString(), report.Baseline?.Configuration.Batching.ToString() ?? "—");
        table.AddRow("rows/s", F(best.Performance?.RowsPerSecond), F(report.Baseline?.Performance?.RowsPerSecond));
        table.AddRow("p99 ms", F(best.Performance?.P99Ms), F(report.Baseline?.Performance?.P99Ms));
        table.AddRow("mean cosine", F(best.Accuracy?.MeanCosine, "F5"), F(report.Baseline?.Accuracy?.MeanCosine, "F5"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"speedup over the baseline: [bold]{F(report.SpeedupOverBaseline)}×[/]; {report.Trials.Count} trials, {report.Evaluations} measured, {report.CacheHits} from the cache, {report.Elapsed.TotalSeconds:F1} s ({report.Strategy}).");
        AnsiConsole.MarkupLineInterpolated($"wrote {result.ModelPath}, {result.TunedModelPath}, {result.ReportMarkdownPath}, {result.ReportJsonPath}, {result.ChartPath}");
    }

    private static string F(double? value, string format = "F2") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "—";

    /// <summary>One progress bar per phase, updated from the tuner's thread.</summary>
    private sealed class PhaseProgress(ProgressContext context) : IProgress<TuningProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        public void Report(TuningProgress value)
        {
            lock (_lock)
            {
                if (!_tasks.TryGetValue(value.Phase, out var task))
                {
                    task = _tasks[value.Phase] = context.AddTask(value.Phase, maxValue: Math.Max(1, value.Total));
                }

                task.MaxValue = Math.Max(1, value.Total);
                task.Value = Math.Min(value.Completed, task.MaxValue);
                var message = value.Message.Length > 60 ? value.Message[..57] + "..." : value.Message;
                task.Description = Markup.Escape($"{value.Phase}: {message}");
            }
        }

        public void Complete()
        {
            lock (_lock)
            {
                foreach (var task in _tasks.Values)
                {
                    task.Value = task.MaxValue;
                }
            }
        }
    }
}
