using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving;

/// <summary>
/// What the tuner chose for one model, as written to <c>tuned.json</c>: the model file, the session settings and the
/// pool's batching settings. <see cref="TunedModelPoolBuilderExtensions.FromTunedModel{TData, TPrediction}(IPredictionEnginePoolBuilder{TData, TPrediction}, string, string, Action{MLNetInference.Pipeline.Scoring.OnnxBatchScoringOptions}?)"/>
/// loads it into a pool as is.
/// </summary>
/// <remarks>Defaults: <c>model.onnx</c>, the CPU, ORT_ENABLE_ALL, one intra-op thread per worker, batches of 32 with a 2 ms delay.</remarks>
public sealed class TunedModelDescription
{
    /// <summary>The file name the tuner writes the description to.</summary>
    public const string FileName = "tuned.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Gets or sets the model file, relative to the description's folder (or absolute).</summary>
    public string ModelPath { get; set; } = "model.onnx";

    /// <summary>Gets or sets the optimization recipe the model was made with (for people; not applied again).</summary>
    public string Recipe { get; set; } = "none";

    /// <summary>Gets or sets the execution provider.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>Gets or sets ONNX Runtime's graph optimization level.</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Gets or sets the intra-op threads of each worker's session; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreadsPerWorker { get; set; } = 1;

    /// <summary>Gets or sets the batch workers per device; 0 means one per core on the CPU.</summary>
    public int WorkersPerDevice { get; set; }

    /// <summary>Gets or sets the most requests in one batch.</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Gets or sets how long, in milliseconds, the oldest queued request waits for more to join its batch.</summary>
    public double MaxQueueDelayMs { get; set; } = 2;

    /// <summary>Reads a description from a <c>tuned.json</c> file or from the folder that holds one.</summary>
    /// <param name="path">The file, or its folder.</param>
    /// <returns>The description, with <see cref="ModelPath"/> made absolute.</returns>
    /// <exception cref="FileNotFoundException">No description or no model file exists there.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid description; the message says what is wrong.</exception>
    public static TunedModelDescription Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"No tuned-model description at '{file}'; run the tuner (mlnet-infer tune) to write one.", file);
        }

        TunedModelDescription? description;
        try
        {
            description = JsonSerializer.Deserialize<TunedModelDescription>(File.ReadAllText(file), JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{file}' is not a valid tuned-model description: {ex.Message}", ex);
        }

        if (description is null)
        {
            throw new InvalidDataException($"'{file}' is empty; expected a tuned-model description.");
        }

        var problems = description.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"'{file}' is not a valid tuned-model description: {string.Join(" ", problems)}");
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        description.ModelPath = Path.GetFullPath(Path.Combine(folder, description.ModelPath));
        if (!File.Exists(description.ModelPath))
        {
            throw new FileNotFoundException($"The tuned model '{description.ModelPath}' named by '{file}' does not exist.", description.ModelPath);
        }

        return description;
    }

    /// <summary>Writes the description as JSON.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));
    }

    /// <summary>Applies the batching settings to pool options.</summary>
    /// <param name="options">The options to change.</param>
    public void ApplyTo(DynamicBatchingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MaxBatchSize = MaxBatchSize;
        options.MaxQueueDelay = TimeSpan.FromMilliseconds(MaxQueueDelayMs);
        options.WorkersPerDevice = WorkersPerDevice;
        options.IntraOpThreadsPerWorker = IntraOpThreadsPerWorker;
        options.Devices.Clear();
        if (ExecutionProvider != ExecutionProvider.Cpu)
        {
            options.Devices.Add(new DeviceSpec(ExecutionProvider));
        }
    }

    /// <summary>Checks the settings.</summary>
    /// <returns>The problems found, empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            errors.Add("model_path is missing.");
        }

        if (MaxBatchSize < 1)
        {
            errors.Add($"max_batch_size must be at least 1 (was {MaxBatchSize}).");
        }

        if (MaxQueueDelayMs < 0 || double.IsNaN(MaxQueueDelayMs))
        {
            errors.Add($"max_queue_delay_ms must not be negative (was {MaxQueueDelayMs}).");
        }

        if (IntraOpThreadsPerWorker < 0 || WorkersPerDevice < 0)
        {
            errors.Add("intra_op_threads_per_worker and workers_per_device must be 0 (automatic) or more.");
        }

        if (!Enum.IsDefined(ExecutionProvider) || !Enum.IsDefined(GraphOptimizationLevel))
        {
            errors.Add("execution_provider or graph_optimization_level is unknown.");
        }

        return errors;
    }
}
