using Microsoft.Extensions.Logging;
using MLNetInference.Core;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// A raw ONNX model served by its tensor names: a request of N rows becomes N rows of one <see cref="RowBatcher{TResult}"/>
/// (the pool's cross-request batcher), so that concurrent requests share batches; each row's outputs are read back
/// with padding removed and stacked into the response tensors.
/// </summary>
internal sealed class OnnxTensorModel : IInferenceModel, IAsyncDisposable
{
    private readonly string _path;
    private readonly DynamicBatchingOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private Loaded? _loaded;
    private Exception? _error;

    public OnnxTensorModel(string name, string path, string version, DynamicBatchingOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        Name = name;
        _path = path;
        Version = version;
        _options = options;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
    }

    public string Name { get; }

    public string Version { get; }

    public string Platform => "onnxruntime_onnx";

    public IReadOnlyList<TensorSpec> Inputs => Current.Inputs;

    public IReadOnlyList<TensorSpec> Outputs => Current.Outputs;

    public bool IsReady => Volatile.Read(ref _loaded) is not null;

    public string MetricsName => Name;

    private Loaded Current => Volatile.Read(ref _loaded)
        ?? throw OpenInferenceException.Unavailable(_error is null ? $"Model '{Name}' is loading." : $"Model '{Name}' failed to load: {_error.Message}", _error);

    /// <summary>Creates the sessions (one per device, shared by its workers) and the batcher.</summary>
    public void Load()
    {
        var sessions = new List<OnnxModelSession>();
        try
        {
            var factory = new OnnxSessionFactory(_loggerFactory.CreateLogger<OnnxSessionFactory>());
            var devices = _options.Devices.Count == 0 ? [DeviceSpec.Cpu] : _options.Devices.ToArray();
            var workers = new List<BatchRunner>();
            foreach (var device in devices)
            {
                var session = factory.Create(_path, new OnnxSessionOptions
                {
                    ExecutionProvider = device.Provider,
                    DeviceId = device.DeviceId,
                    IntraOpThreads = _options.IntraOpThreadsPerWorker,
                    InterOpThreads = 1,
                });
                sessions.Add(session);
                var runner = new BatchRunner(session, new BatchRunnerOptions { MaxBatchSize = _options.MaxBatchSize });
                var count = _options.WorkersPerDevice > 0 ? _options.WorkersPerDevice : device.Provider == ExecutionProvider.Cpu ? Environment.ProcessorCount : 1;
                for (var w = 0; w < count; w++)
                {
                    workers.Add(runner);
                }
            }

            var metadata = sessions[0].Metadata;
            var inputs = new TensorSpec[workers[0].InputCount];
            for (var i = 0; i < inputs.Length; i++)
            {
                inputs[i] = Spec(metadata.FindInput(workers[0].InputNames[i])!);
            }

            var outputs = new TensorSpec[workers[0].OutputNames.Count];
            for (var o = 0; o < outputs.Length; o++)
            {
                outputs[o] = Spec(metadata.FindOutput(workers[0].OutputNames[o])!);
            }

            var types = Array.ConvertAll(outputs, o => o.DataType);
            var batcher = new RowBatcher<RowOutputs>(Name, workers, (result, row) => RowOutputs.Read(result, row, types), _options, _loggerFactory.CreateLogger("MLNetInference.Serving.OpenInference"), _timeProvider);
            Volatile.Write(ref _loaded, new Loaded(inputs, outputs, batcher, sessions));
            _error = null;
        }
        catch (Exception ex)
        {
            foreach (var session in sessions)
            {
                session.Dispose();
            }

            _error = ex;
            throw;
        }
    }

    public async Task<IReadOnlyList<InferTensor>> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        var loaded = Current;
        var rows = RequestChecks.CheckInputs(Name, loaded.Inputs, request);
        var selected = RequestChecks.SelectOutputs(Name, loaded.Outputs, request);

        // Each input's rows are slices of the request's own array: nothing is copied before packing.
        var inputs = new InferTensor[loaded.Inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = request.FindInput(loaded.Inputs[i].Name)!;
        }

        var tasks = new Task<RowOutputs>[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = new RowTensor[inputs.Length];
            for (var i = 0; i < inputs.Length; i++)
            {
                var width = inputs[i].Count / rows;
                row[i] = RowTensor.FromArray(inputs[i].Data, r * width, width);
            }

            tasks[r] = loaded.Batcher.EnqueueAsync(row, cancellationToken);
        }

        RowOutputs[] results;
        try
        {
            results = await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (InvalidInputException ex)
        {
            throw OpenInferenceException.BadRequest(ex.Message);
        }

        var answer = new InferTensor[selected.Count];
        for (var s = 0; s < selected.Count; s++)
        {
            var o = IndexOf(loaded.Outputs, selected[s].Name);
            answer[s] = RowOutputs.Stack(selected[s], o, results);
        }

        return answer;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _loaded, null) is { } loaded)
        {
            await loaded.Batcher.DisposeAsync().ConfigureAwait(false);
            foreach (var session in loaded.Sessions)
            {
                session.Dispose();
            }
        }
    }

    private static int IndexOf(IReadOnlyList<TensorSpec> specs, string name)
    {
        for (var i = 0; i < specs.Count; i++)
        {
            if (specs[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private TensorSpec Spec(TensorMetadata meta)
    {
        var type = TensorDataTypes.FromOnnx(meta.ElementType)
            ?? throw new NotSupportedException($"Tensor '{meta.Name}' of model '{Name}' has element type {meta.ElementType}, which the Open Inference Protocol has no datatype for.");
        var shape = new long[meta.Rank];
        for (var a = 0; a < shape.Length; a++)
        {
            // The batch axis is variable for the batcher even when the model fixes it at 1 (rows then run one call each).
            shape[a] = a == 0 ? -1 : meta.Dimensions[a];
        }

        return new TensorSpec(meta.Name, type, shape);
    }

    private sealed record Loaded(TensorSpec[] Inputs, TensorSpec[] Outputs, RowBatcher<RowOutputs> Batcher, List<OnnxModelSession> Sessions);
}
