using System.CommandLine;
using System.Globalization;
using MLNetInference.Core.Onnx;
using MLNetInference.Serving.Repository;
using Spectre.Console;

namespace MLNetInference.Cli;

/// <summary>
/// <c>export &lt;model.onnx | tune folder&gt; -o &lt;repository&gt; --name &lt;model&gt; [--max-batch-size n]
/// [--max-queue-delay-us n] [--instances n] [--kind cpu|gpu] [--version n] [--force]</c>: writes a Triton-layout model
/// repository entry (<c>&lt;repository&gt;/&lt;model&gt;/config.pbtxt</c> and <c>&lt;version&gt;/model.onnx</c>) that Triton
/// and this library's server both load.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "The ONNX model, or a tune folder (model.onnx + tuned.json written by 'tune')." };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "The model repository folder; created when missing.", Required = true };
        var name = new Option<string>("--name", "-n") { Description = "The model name, also its folder name in the repository.", Required = true };
        var maxBatch = new Option<int?>("--max-batch-size") { Description = "max_batch_size; 0 for a model that does not batch (default: the tuner's choice, or 32)." };
        var delay = new Option<long?>("--max-queue-delay-us") { Description = "dynamic_batching max_queue_delay_microseconds (default: the tuner's choice, or 2000)." };
        var instances = new Option<int?>("--instances") { Description = "instance_group count (default: the tuner's workers, or one per processor core)." };
        var kind = new Option<string?>("--kind") { Description = "instance_group kind: cpu or gpu (default: the tuner's execution provider, or cpu)." };
        var version = new Option<long>("--version") { Description = "The version folder to write the model to.", DefaultValueFactory = _ => 1 };
        var force = new Option<bool>("--force") { Description = "Replace a model folder of the same name." };
        var command = new Command("export", "Write a model (or a tune folder's best model) into a Triton-layout model repository, served unchanged by Triton and by MLNetInference's server.")
        {
            input, output, name, maxBatch, delay, instances, kind, version, force,
        };
        command.SetAction(result =>
        {
            var options = new ModelExportOptions
            {
                MaxBatchSize = result.GetValue(maxBatch),
                MaxQueueDelay = result.GetValue(delay) is { } us ? TimeSpan.FromMicroseconds(us) : null,
                InstanceCount = result.GetValue(instances),
                Version = result.GetValue(version),
                Overwrite = result.GetValue(force),
            };
            switch (result.GetValue(kind)?.ToLowerInvariant())
            {
                case null:
                    break;
                case "cpu":
                    options.InstanceKind = TritonInstanceKind.Cpu;
                    break;
                case "gpu":
                    options.InstanceKind = TritonInstanceKind.Gpu;
                    break;
                case var other:
                    AnsiConsole.MarkupLineInterpolated($"[red]error:[/] unknown instance kind '{other}'; use cpu or gpu.");
                    return 2;
            }

            return Run(result.GetValue(input)!, result.GetValue(output)!.FullName, result.GetValue(name)!, options);
        });
        return command;
    }

    private static int Run(string input, string repository, string name, ModelExportOptions options)
    {
        try
        {
            var entry = ModelRepository.Export(input, repository, name, options);
            var config = entry.Config;
            var table = new Table().AddColumns("", "value");
            table.AddRow("model", Markup.Escape(entry.ModelPath));
            table.AddRow("config", Markup.Escape(entry.ConfigPath));
            table.AddRow("max_batch_size", config.MaxBatchSize.ToString(CultureInfo.InvariantCulture));
            table.AddRow("dynamic_batching", config.DynamicBatching is { } b
                ? $"preferred {string.Join(", ", b.PreferredBatchSizes)}, delay {b.MaxQueueDelayMicroseconds} µs"
                : "none");
            table.AddRow("instance_group", string.Join("; ", config.InstanceGroups.Select(g => $"{g.Count} × KIND_{g.Kind.ToString().ToUpperInvariant()}")));
            table.AddRow("inputs", Markup.Escape(string.Join("; ", config.Inputs.Select(Describe))));
            table.AddRow("outputs", Markup.Escape(string.Join("; ", config.Outputs.Select(Describe))));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"wrote {entry.Directory}; serve it with tritonserver --model-repository {repository}, or with MLNetInference's InferenceServer --model-repository {repository}.");
            return 0;
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or DirectoryNotFoundException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is ModelConfigException or OnnxFormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 1;
        }
    }

    private static string Describe(TritonTensorConfig tensor)
        => $"{tensor.Name} TYPE_{tensor.DataType.ToString().ToUpperInvariant()} [{string.Join(", ", tensor.Dims)}]";
}
