using System.Globalization;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving.Repository;

/// <summary>
/// A model repository in Triton's layout, the same on both sides: <c>&lt;repository&gt;/&lt;model&gt;/config.pbtxt</c>
/// and <c>&lt;repository&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c>. <see cref="Export(string, string, string, ModelExportOptions?)"/>
/// writes one from an ONNX file or a tune folder; Triton (<c>tritonserver --model-repository</c>) and this library's pool
/// (<see cref="ModelRepositoryPoolBuilderExtensions"/>) both serve it.
/// </summary>
public static class ModelRepository
{
    /// <summary>The ONNX Runtime backend's default model file name inside a version folder.</summary>
    public const string DefaultModelFileName = "model.onnx";

    /// <summary>
    /// Writes one model into a repository: its <c>config.pbtxt</c> and <c>&lt;version&gt;/model.onnx</c>.
    /// </summary>
    /// <param name="source">An ONNX file, a tune folder (the tuner's <c>model.onnx</c> and <c>tuned.json</c>), or a <c>tuned.json</c>.</param>
    /// <param name="repositoryPath">The repository folder; created when missing.</param>
    /// <param name="modelName">The model name, which is also its folder name.</param>
    /// <param name="options">Overrides of the batching, instances and version; optional.</param>
    /// <returns>The exported model, read back from the repository by the same loader the pool uses.</returns>
    /// <remarks>
    /// <para>Inputs and outputs come from the ONNX graph (initializers excluded), with -1 for every dimension the model
    /// does not fix; a dimension the graph leaves symbolic but ONNX Runtime's shape inference fixes (MiniLM's hidden width)
    /// gets the fixed value, since Triton checks the configuration against what the runtime reports. When every input and output has a variable leading dimension the model batches: <c>max_batch_size</c>
    /// is set and the dims leave the batch dimension out, as Triton expects. Otherwise the model is exported with
    /// <c>max_batch_size: 0</c> and full dims.</para>
    /// <para>From a tune folder, <c>max_batch_size</c>, <c>preferred_batch_size</c> and <c>max_queue_delay_microseconds</c>
    /// are the tuner's batching choice, the <c>instance_group</c> count is its workers (the exporting machine's
    /// processor count when the tuner chose one per core), its kind follows the execution provider, and the
    /// intra-op threads become the ONNX Runtime backend's <c>intra_op_thread_count</c> parameter.</para>
    /// <para>A warmup sample of zeros is written for every input, with each variable dimension set to
    /// <see cref="ModelExportOptions.WarmupAxisLength"/>.</para>
    /// </remarks>
    /// <exception cref="FileNotFoundException">The source does not exist.</exception>
    /// <exception cref="ArgumentException">The model name is not a valid folder name, or an option is out of range.</exception>
    /// <exception cref="IOException">The model folder exists and <see cref="ModelExportOptions.Overwrite"/> is off.</exception>
    /// <exception cref="OnnxFormatException">The ONNX file is not valid.</exception>
    /// <exception cref="ModelConfigException">The model cannot be described in Triton's configuration (for example, an input that is not a tensor).</exception>
    public static ModelRepositoryEntry Export(string source, string repositoryPath, string modelName, ModelExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(repositoryPath);
        CheckModelName(modelName);
        options ??= new ModelExportOptions();
        CheckOptions(options);

        var (modelPath, tuned) = ResolveSource(source);
        var model = OnnxModelIO.Load(modelPath, loadExternalData: false);
        var config = CreateConfig(model, modelName, modelPath, tuned, options, ReadRuntimeMetadata(modelPath));

        var modelDirectory = Path.Combine(Path.GetFullPath(repositoryPath), modelName);
        if (Directory.Exists(modelDirectory))
        {
            if (!options.Overwrite)
            {
                throw new IOException($"The model folder '{modelDirectory}' already exists; choose another name or overwrite it (--force).");
            }

            Directory.Delete(modelDirectory, recursive: true);
        }

        var versionDirectory = Path.Combine(modelDirectory, options.Version.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(versionDirectory);
        var target = Path.Combine(versionDirectory, DefaultModelFileName);
        if (HasExternalData(model))
        {
            // Triton and the pool load one file per version; tensors kept in side files are written into it.
            OnnxModelIO.Save(OnnxModelIO.Load(modelPath, loadExternalData: true), target);
        }
        else
        {
            File.Copy(modelPath, target);
        }

        config.Save(Path.Combine(modelDirectory, TritonModelConfig.FileName));
        return LoadModel(repositoryPath, modelName);
    }

    /// <summary>Loads every model of a repository: each model folder's configuration and its latest version.</summary>
    /// <param name="repositoryPath">The repository folder.</param>
    /// <returns>The models, by folder name in ordinal order.</returns>
    /// <remarks>Hidden folders (starting with '.') and <c>lost+found</c> are skipped; any other folder must be a model.</remarks>
    /// <exception cref="DirectoryNotFoundException">The repository does not exist.</exception>
    /// <exception cref="FileNotFoundException">A model folder has no configuration or no version with a model file.</exception>
    /// <exception cref="ModelConfigException">A configuration is malformed or cannot be served; the message names the file and line.</exception>
    public static IReadOnlyList<ModelRepositoryEntry> Load(string repositoryPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(repositoryPath);
        if (!Directory.Exists(repositoryPath))
        {
            throw new DirectoryNotFoundException($"The model repository '{repositoryPath}' does not exist.");
        }

        var entries = new List<ModelRepositoryEntry>();
        var folders = Directory.GetDirectories(repositoryPath);
        Array.Sort(folders, StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith('.') || name == "lost+found")
            {
                continue;
            }

            entries.Add(LoadModel(repositoryPath, name));
        }

        if (entries.Count == 0)
        {
            throw new FileNotFoundException($"The model repository '{repositoryPath}' holds no model folders; write one with mlnet-infer export.", repositoryPath);
        }

        return entries;
    }

    /// <summary>Loads one model of a repository: its configuration and its latest version.</summary>
    /// <param name="repositoryPath">The repository folder.</param>
    /// <param name="modelName">The model's folder name.</param>
    /// <returns>The model.</returns>
    /// <exception cref="DirectoryNotFoundException">The model folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The model folder has no configuration or no version with a model file.</exception>
    /// <exception cref="ModelConfigException">The configuration is malformed or cannot be served; the message names the file and line.</exception>
    public static ModelRepositoryEntry LoadModel(string repositoryPath, string modelName)
    {
        ArgumentException.ThrowIfNullOrEmpty(repositoryPath);
        CheckModelName(modelName);
        var directory = Path.Combine(Path.GetFullPath(repositoryPath), modelName);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The model repository '{repositoryPath}' has no model '{modelName}'.");
        }

        var configPath = Path.Combine(directory, TritonModelConfig.FileName);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"The model folder '{directory}' has no {TritonModelConfig.FileName}; every model of a repository needs one (write it with mlnet-infer export).", configPath);
        }

        var text = File.ReadAllText(configPath);
        var config = TritonModelConfig.Parse(text, configPath);
        if (config.Name.Length == 0)
        {
            config.Name = modelName;
        }
        else if (!string.Equals(config.Name, modelName, StringComparison.Ordinal))
        {
            throw new ModelConfigException(configPath, LineOf(text, "name"), $"the configuration names the model '{config.Name}', but its folder is '{modelName}'; Triton requires them to agree.");
        }

        var onnx = (config.Platform is null || config.Platform == TritonModelConfig.OnnxRuntimePlatform)
            && (config.Backend is null || config.Backend == TritonModelConfig.OnnxRuntimeBackend);
        if (!onnx)
        {
            var field = config.Platform is not null && config.Platform != TritonModelConfig.OnnxRuntimePlatform ? "platform" : "backend";
            throw new ModelConfigException(configPath, LineOf(text, field), $"the model runs on {field} '{(field == "platform" ? config.Platform : config.Backend)}'; only ONNX models (platform \"{TritonModelConfig.OnnxRuntimePlatform}\" or backend \"{TritonModelConfig.OnnxRuntimeBackend}\") are served here.");
        }

        if (config.Parameters.TryGetValue(TritonModelConfig.IntraOpThreadCountParameter, out var threads)
            && !int.TryParse(threads, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new ModelConfigException(configPath, LineOf(text, "key: \"" + TritonModelConfig.IntraOpThreadCountParameter), $"the parameter '{TritonModelConfig.IntraOpThreadCountParameter}' must be a whole number of threads, not \"{threads}\".");
        }

        var fileName = config.DefaultModelFileName ?? DefaultModelFileName;
        if (fileName.Length == 0 || fileName != Path.GetFileName(fileName))
        {
            throw new ModelConfigException(configPath, LineOf(text, "default_model_filename"), $"'default_model_filename' must be a file name inside the version folder, not \"{fileName}\".");
        }

        long latest = -1;
        foreach (var versionFolder in Directory.GetDirectories(directory))
        {
            if (long.TryParse(Path.GetFileName(versionFolder), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
                && version > latest
                && File.Exists(Path.Combine(versionFolder, fileName)))
            {
                latest = version;
            }
        }

        if (latest < 0)
        {
            throw new FileNotFoundException($"The model folder '{directory}' has no numeric version folder holding {fileName} (for example '{Path.Combine(directory, "1", fileName)}').", directory);
        }

        var modelPath = Path.Combine(directory, latest.ToString(CultureInfo.InvariantCulture), fileName);
        return new ModelRepositoryEntry(modelName, directory, config, latest, modelPath);
    }

    /// <summary>Describes an ONNX model in Triton's configuration.</summary>
    /// <remarks>
    /// Dims come from the graph's declared inputs and outputs; where the graph leaves a dimension symbolic and ONNX Runtime's
    /// shape inference fixes it (<paramref name="runtime"/>, MiniLM's hidden width of 384), the fixed value is written,
    /// because Triton checks the configuration against the dims the runtime reports.
    /// </remarks>
    internal static TritonModelConfig CreateConfig(ModelProto model, string modelName, string modelPath, TunedModelDescription? tuned, ModelExportOptions options, ModelMetadata? runtime = null)
    {
        var graph = model.Graph ?? throw new ModelConfigException(modelPath, 0, "the ONNX model has no graph.");
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var initializer in graph.Initializer)
        {
            initializers.Add(initializer.Name);
        }

        var inputs = new List<(string Name, TritonDataType Type, long[] Dims)>();
        foreach (var value in graph.Input)
        {
            if (!initializers.Contains(value.Name))
            {
                inputs.Add(Describe(value, "input", modelPath));
            }
        }

        var outputs = new List<(string Name, TritonDataType Type, long[] Dims)>();
        foreach (var value in graph.Output)
        {
            outputs.Add(Describe(value, "output", modelPath));
        }

        if (inputs.Count == 0 || outputs.Count == 0)
        {
            throw new ModelConfigException(modelPath, 0, "the ONNX model has no inputs or no outputs to describe.");
        }

        if (runtime is not null)
        {
            Refine(inputs, runtime.Inputs);
            Refine(outputs, runtime.Outputs);
        }

        var batchable = inputs.TrueForAll(t => t.Dims.Length > 0 && t.Dims[0] < 0) && outputs.TrueForAll(t => t.Dims.Length > 0 && t.Dims[0] < 0);
        var maxBatch = options.MaxBatchSize ?? tuned?.MaxBatchSize ?? new DynamicBatchingOptions().MaxBatchSize;
        if (maxBatch > 0 && !batchable)
        {
            if (options.MaxBatchSize is > 0)
            {
                throw new ArgumentException($"The model '{modelPath}' has no variable leading (batch) dimension on every input and output, so Triton cannot batch it; export it with a max batch size of 0, or export a model with a dynamic batch dimension.", nameof(options));
            }

            maxBatch = 0;
        }

        var config = new TritonModelConfig
        {
            Name = modelName,
            Platform = TritonModelConfig.OnnxRuntimePlatform,
            MaxBatchSize = maxBatch,
        };
        foreach (var (name, type, dims) in inputs)
        {
            config.Inputs.Add(Tensor(name, type, dims, maxBatch > 0));
        }

        foreach (var (name, type, dims) in outputs)
        {
            config.Outputs.Add(Tensor(name, type, dims, maxBatch > 0));
        }

        if (maxBatch > 0)
        {
            var delay = options.MaxQueueDelay ?? (tuned is not null ? TimeSpan.FromMilliseconds(tuned.MaxQueueDelayMs) : new DynamicBatchingOptions().MaxQueueDelay);
            config.DynamicBatching = new TritonDynamicBatching { MaxQueueDelayMicroseconds = (long)Math.Round(delay.TotalMicroseconds) };
            config.DynamicBatching.PreferredBatchSizes.Add(maxBatch);
        }

        var gpu = tuned is not null && tuned.ExecutionProvider != ExecutionProvider.Cpu;
        var workers = tuned is { WorkersPerDevice: > 0 } ? tuned.WorkersPerDevice : gpu ? 1 : Environment.ProcessorCount;
        config.InstanceGroups.Add(new TritonInstanceGroup
        {
            Count = options.InstanceCount ?? workers,
            Kind = options.InstanceKind ?? (gpu ? TritonInstanceKind.Gpu : TritonInstanceKind.Cpu),
        });
        var intraOp = tuned?.IntraOpThreadsPerWorker ?? new DynamicBatchingOptions().IntraOpThreadsPerWorker;
        if (intraOp > 0)
        {
            config.Parameters[TritonModelConfig.IntraOpThreadCountParameter] = intraOp.ToString(CultureInfo.InvariantCulture);
        }

        var warmup = new TritonModelWarmup { Name = "zeros", BatchSize = 1 };
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = new TritonWarmupInput { DataType = inputs[i].Type, Data = TritonWarmupData.Zero };
            var dims = config.Inputs[i].Dims;
            for (var d = 0; d < dims.Count; d++)
            {
                // A model that does not batch keeps its leading dimension: one row when it is variable.
                input.Dims.Add(dims[d] >= 0 ? Math.Max(1, dims[d]) : maxBatch == 0 && d == 0 ? 1 : options.WarmupAxisLength);
            }

            warmup.Inputs[inputs[i].Name] = input;
        }

        config.Warmups.Add(warmup);
        return config;
    }

    /// <summary>
    /// The inputs and outputs as ONNX Runtime reports them at its default optimization level, which Triton's ONNX Runtime
    /// backend uses too (its shape inference fixes some dimensions the graph leaves symbolic); the batch is not rewritten.
    /// </summary>
    private static ModelMetadata ReadRuntimeMetadata(string modelPath)
    {
        var options = new OnnxSessionOptions { RewriteFixedBatch = false, IntraOpThreads = 1 };
        using var session = new OnnxSessionFactory().Create(modelPath, options);
        return session.Metadata;
    }

    private static void Refine(List<(string Name, TritonDataType Type, long[] Dims)> declared, IReadOnlyList<TensorMetadata> inferred)
    {
        foreach (var (name, _, dims) in declared)
        {
            var match = inferred.FirstOrDefault(t => t.Name == name);
            if (match is null || match.Rank != dims.Length)
            {
                continue;
            }

            for (var d = 0; d < dims.Length; d++)
            {
                if (dims[d] < 0 && match.Dimensions[d] >= 0)
                {
                    dims[d] = match.Dimensions[d];
                }
            }
        }
    }

    private static TritonTensorConfig Tensor(string name, TritonDataType type, long[] dims, bool batched)
    {
        var tensor = new TritonTensorConfig { Name = name, DataType = type };
        var kept = batched ? dims.AsSpan(1) : dims;
        if (kept.Length == 0)
        {
            // One value per batch row (or a scalar): Triton wants dims [ 1 ] reshaped to no dimensions.
            tensor.Dims.Add(1);
            tensor.Reshape = [];
            return tensor;
        }

        foreach (var dim in kept)
        {
            tensor.Dims.Add(dim);
        }

        return tensor;
    }

    private static (string Name, TritonDataType Type, long[] Dims) Describe(ValueInfoProto value, string kind, string modelPath)
    {
        if (value.Type?.TensorType is not { } tensor)
        {
            throw new ModelConfigException(modelPath, 0, $"the {kind} '{value.Name}' is not a tensor (sequences and maps are not served); Triton's ONNX backend serves tensors only.");
        }

        var type = (TensorProto.Types.DataType)tensor.ElemType switch
        {
            TensorProto.Types.DataType.Float => TritonDataType.Fp32,
            TensorProto.Types.DataType.Double => TritonDataType.Fp64,
            TensorProto.Types.DataType.Float16 => TritonDataType.Fp16,
            TensorProto.Types.DataType.Bfloat16 => TritonDataType.Bf16,
            TensorProto.Types.DataType.Int8 => TritonDataType.Int8,
            TensorProto.Types.DataType.Int16 => TritonDataType.Int16,
            TensorProto.Types.DataType.Int32 => TritonDataType.Int32,
            TensorProto.Types.DataType.Int64 => TritonDataType.Int64,
            TensorProto.Types.DataType.Uint8 => TritonDataType.UInt8,
            TensorProto.Types.DataType.Uint16 => TritonDataType.UInt16,
            TensorProto.Types.DataType.Uint32 => TritonDataType.UInt32,
            TensorProto.Types.DataType.Uint64 => TritonDataType.UInt64,
            TensorProto.Types.DataType.Bool => TritonDataType.Bool,
            TensorProto.Types.DataType.String => TritonDataType.String,
            var other => throw new ModelConfigException(modelPath, 0, $"the {kind} '{value.Name}' has the element type {other}, which Triton's configuration has no type for."),
        };

        if (tensor.Shape is null)
        {
            throw new ModelConfigException(modelPath, 0, $"the {kind} '{value.Name}' declares no shape, so its dims cannot be written; give the model a shape (even with symbolic dimensions).");
        }

        var dims = new long[tensor.Shape.Dim.Count];
        for (var i = 0; i < dims.Length; i++)
        {
            var dim = tensor.Shape.Dim[i];
            dims[i] = dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && dim.DimValue >= 0 ? dim.DimValue : -1;
        }

        return (value.Name, type, dims);
    }

    private static (string ModelPath, TunedModelDescription? Tuned) ResolveSource(string source)
    {
        if (Directory.Exists(source))
        {
            if (File.Exists(Path.Combine(source, TunedModelDescription.FileName)))
            {
                var tuned = TunedModelDescription.Load(source);
                return (tuned.ModelPath, tuned);
            }

            var model = Path.Combine(source, DefaultModelFileName);
            if (File.Exists(model))
            {
                return (model, null);
            }

            throw new FileNotFoundException($"The folder '{source}' holds neither a {TunedModelDescription.FileName} (a tune folder) nor a {DefaultModelFileName}.", source);
        }

        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"The model '{source}' does not exist; give an .onnx file or a tune folder.", source);
        }

        if (string.Equals(Path.GetFileName(source), TunedModelDescription.FileName, StringComparison.OrdinalIgnoreCase))
        {
            var tuned = TunedModelDescription.Load(source);
            return (tuned.ModelPath, tuned);
        }

        return (Path.GetFullPath(source), null);
    }

    private static bool HasExternalData(ModelProto model)
    {
        foreach (var initializer in model.Graph.Initializer)
        {
            if (initializer.DataLocation == TensorProto.Types.DataLocation.External)
            {
                return true;
            }
        }

        return false;
    }

    private static void CheckModelName(string modelName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        if (modelName is "." or ".." || modelName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || modelName.Contains('/') || modelName.Contains('\\'))
        {
            throw new ArgumentException($"'{modelName}' is not a valid model name; a model name is one folder name (letters, digits, '-', '_', '.').", nameof(modelName));
        }
    }

    private static void CheckOptions(ModelExportOptions options)
    {
        if (options.MaxBatchSize is < 0)
        {
            throw new ArgumentException($"The max batch size must be 0 (no batching) or more (was {options.MaxBatchSize}).", nameof(options));
        }

        if (options.MaxQueueDelay is { } delay && delay < TimeSpan.Zero)
        {
            throw new ArgumentException($"The max queue delay must not be negative (was {delay}).", nameof(options));
        }

        if (options.InstanceCount is < 1)
        {
            throw new ArgumentException($"The instance count must be at least 1 (was {options.InstanceCount}).", nameof(options));
        }

        if (options.Version < 1)
        {
            throw new ArgumentException($"The version must be 1 or more (was {options.Version}).", nameof(options));
        }

        if (options.WarmupAxisLength < 1)
        {
            throw new ArgumentException($"The warmup axis length must be at least 1 (was {options.WarmupAxisLength}).", nameof(options));
        }
    }

    /// <summary>The first line whose text (after leading spaces) starts with <paramref name="prefix"/>, or 0.</summary>
    private static int LineOf(string text, string prefix)
    {
        var line = 1;
        foreach (var row in text.AsSpan().EnumerateLines())
        {
            if (row.TrimStart().StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }

            line++;
        }

        return 0;
    }
}
