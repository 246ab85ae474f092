using MLNetInference.Serving.Repository.Internal;

namespace MLNetInference.Serving.Repository;

/// <summary>
/// A model's configuration in a Triton model repository (<c>&lt;repository&gt;/&lt;model&gt;/config.pbtxt</c>): the
/// subset of Triton's <c>ModelConfig</c> that an ONNX model served by Triton or by this library uses. It is written and
/// read as protobuf text format by this library's own reader, without a protobuf text-format dependency.
/// </summary>
/// <remarks>
/// <para>Read: <c>name</c>, <c>platform</c>, <c>backend</c>, <c>max_batch_size</c>, <c>input</c>/<c>output</c> (name,
/// data_type, dims, reshape, allow_ragged_batch, optional), <c>dynamic_batching</c> (preferred_batch_size,
/// max_queue_delay_microseconds, preserve_ordering), <c>instance_group</c> (name, count, kind, gpus),
/// <c>parameters</c> (string values), <c>model_warmup</c> and <c>default_model_filename</c>. Other fields Triton knows
/// (<c>version_policy</c>, <c>optimization</c>, <c>sequence_batching</c>, ...) are accepted and not kept; a field Triton
/// does not know is an error, as in Triton.</para>
/// <para>Defaults: platform <c>onnxruntime_onnx</c>, no batching (<c>max_batch_size: 0</c>), no dynamic batching, no
/// instance groups (Triton then runs one instance), no warmup.</para>
/// </remarks>
public sealed class TritonModelConfig
{
    /// <summary>The file name of a model configuration inside its model folder.</summary>
    public const string FileName = "config.pbtxt";

    /// <summary>Triton's platform name for ONNX models run by ONNX Runtime.</summary>
    public const string OnnxRuntimePlatform = "onnxruntime_onnx";

    /// <summary>Triton's backend name for ONNX Runtime, which some configurations give instead of the platform.</summary>
    public const string OnnxRuntimeBackend = "onnxruntime";

    /// <summary>The ONNX Runtime backend's parameter for the intra-op threads of each instance.</summary>
    public const string IntraOpThreadCountParameter = "intra_op_thread_count";

    /// <summary>Gets or sets the model name; Triton requires it to equal the model's folder name, when given.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the platform; <see cref="OnnxRuntimePlatform"/> by default.</summary>
    public string? Platform { get; set; } = OnnxRuntimePlatform;

    /// <summary>Gets or sets the backend (for example <see cref="OnnxRuntimeBackend"/>); <see langword="null"/> when the platform says it.</summary>
    public string? Backend { get; set; }

    /// <summary>Gets or sets the model file inside a version folder; <see langword="null"/> for the backend's default (<c>model.onnx</c>).</summary>
    public string? DefaultModelFileName { get; set; }

    /// <summary>Gets or sets the largest batch a request or a formed batch may hold; 0 when the model does not batch.</summary>
    public int MaxBatchSize { get; set; }

    /// <summary>Gets the model inputs.</summary>
    public IList<TritonTensorConfig> Inputs { get; } = [];

    /// <summary>Gets the model outputs.</summary>
    public IList<TritonTensorConfig> Outputs { get; } = [];

    /// <summary>Gets or sets the dynamic batching settings; <see langword="null"/> when requests are not batched across callers.</summary>
    public TritonDynamicBatching? DynamicBatching { get; set; }

    /// <summary>Gets the instance groups: how many copies of the model run, and where.</summary>
    public IList<TritonInstanceGroup> InstanceGroups { get; } = [];

    /// <summary>Gets the backend parameters (<c>parameters { key: ... value: { string_value: ... } }</c>), by key.</summary>
    public IDictionary<string, string> Parameters { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets the warmup samples run when the model loads.</summary>
    public IList<TritonModelWarmup> Warmups { get; } = [];

    /// <summary>Parses a configuration written in protobuf text format and checks it.</summary>
    /// <param name="text">The text of a <c>config.pbtxt</c>.</param>
    /// <param name="sourceName">The file name (or other name) that errors cite.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="ModelConfigException">The text is malformed, names an unknown field, or holds a wrong value; the message names the source and line.</exception>
    public static TritonModelConfig Parse(string text, string sourceName = FileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        var message = TextFormatReader.Read(text, sourceName);
        return TritonConfigMapper.Map(message, sourceName);
    }

    /// <summary>Reads a configuration file, or the <c>config.pbtxt</c> in a model folder.</summary>
    /// <param name="path">The file, or the model folder.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="FileNotFoundException">No configuration exists there.</exception>
    /// <exception cref="ModelConfigException">The configuration is malformed; the message names the file and line.</exception>
    public static TritonModelConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"No model configuration at '{file}'; a model folder of a repository holds a {FileName} (write one with mlnet-infer export).", file);
        }

        return Parse(File.ReadAllText(file), file);
    }

    /// <summary>Writes the configuration as protobuf text format, as Triton's documentation lays it out.</summary>
    /// <returns>The text of a <c>config.pbtxt</c>.</returns>
    public string ToPbtxt() => TritonConfigWriter.Write(this);

    /// <summary>Writes the configuration to a file.</summary>
    /// <param name="path">The file to write, usually <c>&lt;repository&gt;/&lt;model&gt;/config.pbtxt</c>.</param>
    /// <exception cref="ModelConfigException">The configuration is not valid.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ModelConfigException(path, 0, string.Join(" ", problems));
        }

        File.WriteAllText(path, ToPbtxt());
    }

    /// <summary>Checks the configuration the way Triton does for the fields kept here.</summary>
    /// <returns>The problems found, empty when valid.</returns>
    public IReadOnlyList<string> Validate() => TritonConfigMapper.Validate(this, _ => 0).ConvertAll(p => p.Problem);
}
