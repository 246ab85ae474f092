using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Core.Runtime.Internal;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// Runs a session on whole samples: each sample is a dictionary of named tensors (<see cref="SampleTensor"/>), batch
/// dimension included, that the runner turns into ONNX Runtime inputs; the outputs come back whole, with their shapes.
/// This is the one way verification, calibration, tuning and latency probes run a session; <see cref="BatchRunner"/>
/// is the one way rows are packed into batches.
/// </summary>
/// <remarks>
/// <para>Every input the session declares must be in the sample; sample entries the session does not take are
/// ignored, so one sample can feed an original and an optimized model whose inputs differ.</para>
/// <para>The outputs are those named at construction, in that order, or else all the session's outputs. Naming a
/// tensor that was added to the graph's outputs (an intermediate activation) fetches it as well.</para>
/// <para>The runner keeps no per-call state: it is safe for concurrent callers on one session. It does not own the
/// session.</para>
/// </remarks>
public sealed class SampleRunner
{
    private readonly InferenceSession _session;
    private readonly OnnxModelSession? _model;
    private readonly string[] _inputNames;
    private readonly TensorElementType[] _inputTypes;
    private readonly string[] _outputNames;

    /// <summary>Creates a runner over an ONNX Runtime session.</summary>
    /// <param name="session">The session; the runner does not own it.</param>
    /// <param name="outputNames">The outputs to fetch, in order; all the session's outputs when <see langword="null"/>.</param>
    /// <param name="modelName">The name errors give the model; "model" when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An output name is not an output of the session.</exception>
    public SampleRunner(InferenceSession session, IEnumerable<string>? outputNames = null, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        ModelName = modelName ?? "model";
        _inputNames = [.. session.InputNames];
        _inputTypes = new TensorElementType[_inputNames.Length];
        for (var i = 0; i < _inputNames.Length; i++)
        {
            _inputTypes[i] = session.InputMetadata[_inputNames[i]].ElementDataType;
        }

        _outputNames = outputNames is null ? [.. session.OutputNames] : [.. outputNames];
        foreach (var name in _outputNames)
        {
            if (!session.OutputMetadata.ContainsKey(name))
            {
                throw new ArgumentException($"Model '{ModelName}' has no output named '{name}'. Its outputs are: {string.Join(", ", session.OutputNames)}. To fetch an intermediate tensor, add it to the graph's outputs before creating the session.", nameof(outputNames));
            }
        }
    }

    /// <summary>Creates a runner over a loaded model.</summary>
    /// <param name="model">The model; the runner does not own it.</param>
    /// <param name="outputNames">The outputs to fetch, in order; all the model's outputs when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An output name is not an output of the model.</exception>
    public SampleRunner(OnnxModelSession model, IEnumerable<string>? outputNames = null)
        : this((model ?? throw new ArgumentNullException(nameof(model))).Session, outputNames, model.ModelName)
    {
        _model = model;
    }

    /// <summary>Gets the name errors give the model.</summary>
    public string ModelName { get; }

    /// <summary>Gets the inputs every sample must give, in the session's order.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>Gets the outputs each run fetches, in the order of <see cref="SampleResult"/> output indices.</summary>
    public IReadOnlyList<string> OutputNames => _outputNames;

    /// <summary>Turns a sample into ONNX Runtime inputs that can be run many times.</summary>
    /// <param name="sample">The sample: named tensors, at least one per input in <see cref="InputNames"/>.</param>
    /// <returns>The bound inputs; the caller disposes them, and the sample's arrays stay pinned until then.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sample"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="InvalidInputException">The sample lacks an input of the model, or gives one an element type the model does not take.</exception>
    /// <exception cref="ArgumentException">A tensor's data does not match its shape or has an unsupported element type.</exception>
    public SampleBinding Bind(IReadOnlyDictionary<string, SampleTensor> sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var values = new OrtValue[_inputNames.Length];
        try
        {
            for (var i = 0; i < values.Length; i++)
            {
                var name = _inputNames[i];
                if (!sample.TryGetValue(name, out var tensor))
                {
                    throw new InvalidInputException(name, $"The sample has no input '{name}'; model '{ModelName}' needs {string.Join(", ", _inputNames)}.");
                }

                values[i] = CreateValue(name, tensor, _inputTypes[i]);
            }

            return new SampleBinding(this, values);
        }
        catch
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }

            throw;
        }
    }

    /// <summary>Runs the session on one sample.</summary>
    /// <param name="sample">The sample: named tensors, at least one per input in <see cref="InputNames"/>.</param>
    /// <param name="cancellationToken">Stops the run between kernels.</param>
    /// <returns>The outputs in <see cref="OutputNames"/> order; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sample"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="InvalidInputException">The sample lacks an input of the model, or gives one an element type the model does not take.</exception>
    /// <exception cref="ArgumentException">A tensor's data does not match its shape or has an unsupported element type.</exception>
    /// <exception cref="InferenceException">ONNX Runtime failed; the message names the model and says why.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The runner's <see cref="OnnxModelSession"/> was disposed.</exception>
    public SampleResult Run(IReadOnlyDictionary<string, SampleTensor> sample, CancellationToken cancellationToken = default)
    {
        using var inputs = Bind(sample);
        return Run(inputs, cancellationToken);
    }

    /// <summary>Runs the session on inputs bound earlier by <see cref="Bind"/>; a latency probe runs one binding many times.</summary>
    /// <param name="inputs">Inputs bound by this runner.</param>
    /// <param name="cancellationToken">Stops the run between kernels.</param>
    /// <returns>The outputs in <see cref="OutputNames"/> order; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> were bound by another runner.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="inputs"/>, or the runner's <see cref="OnnxModelSession"/>, were disposed.</exception>
    /// <exception cref="InferenceException">ONNX Runtime failed; the message names the model and says why.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public SampleResult Run(SampleBinding inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (!ReferenceEquals(inputs.Runner, this))
        {
            throw new ArgumentException($"These inputs were bound by another runner; bind them with this runner (model '{ModelName}').", nameof(inputs));
        }

        // A disposed session's native handle must never be used: fail cleanly instead.
        if (_model is not null)
        {
            ObjectDisposedException.ThrowIf(_model.IsDisposed, _model);
        }

        var outputs = SessionExecution.Run(_session, ModelName, _inputNames, inputs.Values, _outputNames, cancellationToken);
        return new SampleResult(_outputNames, outputs);
    }

    private OrtValue CreateValue(string name, SampleTensor tensor, TensorElementType expected)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        ArgumentNullException.ThrowIfNull(tensor.Data, name);
        ArgumentNullException.ThrowIfNull(tensor.Shape, name);
        long count = 1;
        foreach (var dim in tensor.Shape)
        {
            count *= dim;
        }

        if (count != tensor.Data.Length)
        {
            throw new ArgumentException(
                $"Sample input '{name}' has {tensor.Data.Length} values but its shape [{string.Join(", ", tensor.Shape)}] needs {count}.");
        }

        var given = tensor.Data switch
        {
            float[] => TensorElementType.Float,
            double[] => TensorElementType.Double,
            long[] => TensorElementType.Int64,
            int[] => TensorElementType.Int32,
            bool[] => TensorElementType.Bool,
            Float16[] => TensorElementType.Float16,
            _ => throw new ArgumentException(
                $"Sample input '{name}' holds {tensor.Data.GetType().Name}; use float[], double[], long[], int[], bool[] or Float16[]."),
        };
        if (given != expected)
        {
            throw new InvalidInputException(name, $"Sample input '{name}' holds {given} values, but model '{ModelName}' takes {expected} for it.");
        }

        // PERF: the tensor wraps the sample's own array (pinned until the binding is disposed); nothing is copied.
        return tensor.Data switch
        {
            float[] f => OrtValue.CreateTensorValueFromMemory(f, tensor.Shape),
            double[] d => OrtValue.CreateTensorValueFromMemory(d, tensor.Shape),
            long[] l => OrtValue.CreateTensorValueFromMemory(l, tensor.Shape),
            int[] n => OrtValue.CreateTensorValueFromMemory(n, tensor.Shape),
            Float16[] h => OrtValue.CreateTensorValueFromMemory(h, tensor.Shape),
            _ => OrtValue.CreateTensorValueFromMemory((bool[])tensor.Data, tensor.Shape),
        };
    }
}
