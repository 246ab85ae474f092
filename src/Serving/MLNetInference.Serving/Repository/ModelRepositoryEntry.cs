using System.Globalization;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving.Repository;

/// <summary>One model of a model repository, as loaded: its configuration and the version that is served.</summary>
public sealed class ModelRepositoryEntry
{
    internal ModelRepositoryEntry(string name, string directory, TritonModelConfig config, long version, string modelPath)
    {
        Name = name;
        Directory = directory;
        Config = config;
        Version = version;
        ModelPath = modelPath;
    }

    /// <summary>Gets the model name (its folder's name).</summary>
    public string Name { get; }

    /// <summary>Gets the model folder.</summary>
    public string Directory { get; }

    /// <summary>Gets the path of the model's <c>config.pbtxt</c>.</summary>
    public string ConfigPath => Path.Combine(Directory, TritonModelConfig.FileName);

    /// <summary>Gets the model's configuration.</summary>
    public TritonModelConfig Config { get; }

    /// <summary>Gets the served version: the highest numeric version folder that holds the model file.</summary>
    public long Version { get; }

    /// <summary>Gets the served version's ONNX file.</summary>
    public string ModelPath { get; }

    /// <summary>Applies the configuration's batching and instances to a model's pool settings.</summary>
    /// <param name="options">The options to change.</param>
    /// <remarks>
    /// <para><c>dynamic_batching</c>: <see cref="DynamicBatchingOptions.MaxBatchSize"/> is the largest
    /// <c>preferred_batch_size</c> (or <c>max_batch_size</c> when none is given), as the pool dispatches a batch when it
    /// is full or when its oldest request has waited <c>max_queue_delay_microseconds</c>. Without
    /// <c>dynamic_batching</c>, or with <c>max_batch_size: 0</c>, each request runs alone, as in Triton.</para>
    /// <para><c>instance_group</c>: the count becomes <see cref="DynamicBatchingOptions.WorkersPerDevice"/> (the largest
    /// when groups differ); a KIND_GPU group adds a CUDA device per listed GPU (GPU 0 when none is listed); KIND_CPU,
    /// KIND_AUTO and KIND_MODEL run on the CPU. Without groups the pool's defaults stay.</para>
    /// <para>The ONNX Runtime backend's <c>intra_op_thread_count</c> parameter becomes
    /// <see cref="DynamicBatchingOptions.IntraOpThreadsPerWorker"/>.</para>
    /// </remarks>
    public void ApplyTo(DynamicBatchingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Config.MaxBatchSize > 0 && Config.DynamicBatching is { } batching)
        {
            options.MaxBatchSize = batching.PreferredBatchSizes.Count > 0 ? batching.PreferredBatchSizes.Max() : Config.MaxBatchSize;
            options.MaxQueueDelay = TimeSpan.FromTicks(batching.MaxQueueDelayMicroseconds * (TimeSpan.TicksPerMillisecond / 1000));
        }
        else
        {
            options.MaxBatchSize = 1;
            options.MaxQueueDelay = TimeSpan.Zero;
        }

        if (Config.InstanceGroups.Count > 0)
        {
            var workers = 0;
            var devices = new List<DeviceSpec>();
            foreach (var group in Config.InstanceGroups)
            {
                workers = Math.Max(workers, group.Count);
                if (group.Kind == TritonInstanceKind.Gpu)
                {
                    if (group.Gpus.Count == 0)
                    {
                        AddOnce(devices, DeviceSpec.Cuda(0));
                    }

                    foreach (var gpu in group.Gpus)
                    {
                        AddOnce(devices, DeviceSpec.Cuda(gpu));
                    }
                }
                else
                {
                    AddOnce(devices, DeviceSpec.Cpu);
                }
            }

            options.WorkersPerDevice = workers;
            options.Devices.Clear();
            if (devices.Exists(d => d.Provider != ExecutionProvider.Cpu))
            {
                foreach (var device in devices)
                {
                    options.Devices.Add(device);
                }
            }
        }

        if (Config.Parameters.TryGetValue(TritonModelConfig.IntraOpThreadCountParameter, out var threads)
            && int.TryParse(threads, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            options.IntraOpThreadsPerWorker = count;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (version {Version.ToString(CultureInfo.InvariantCulture)}, {ModelPath})";

    private static void AddOnce(List<DeviceSpec> devices, DeviceSpec device)
    {
        if (!devices.Contains(device))
        {
            devices.Add(device);
        }
    }
}
