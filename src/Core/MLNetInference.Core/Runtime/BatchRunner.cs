using MLNetInference.Core;
using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Core.Runtime.Internal;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// Packs many rows into one tensor per model input, runs ONNX Runtime once, and gives each row its own
/// slice of every output back, with padding removed from outputs that follow a variable-length input axis.
/// </summary>
/// <remarks>
/// <para>Along each input's variable-length axis rows are padded to the longest row of the batch with the
/// input's pad value (0 by default, which gives attention masks of 0 over padding).</para>
/// <para>The runner keeps no per-call state: it is safe for concurrent callers on one session. Packing
/// buffers come from <see cref="ArrayPool{T}"/> and nothing is allocated per row.</para>
/// <para>For a model whose batch dimension is fixed at 1 and could not be rewritten
/// (<see cref="BatchSupport.PerRow"/>), each row runs in its own call.</para>
/// </remarks>
public sealed class BatchRunner
{
    private readonly OnnxModelSession _model;
    private readonly InputPlan[] _inputs;
    private readonly OutputPlan[] _outputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly string[] _lengthKeyNames;
    private readonly int _maxBatch;
    private readonly int _maxSequenceLength;

    /// <summary>Creates a runner over a loaded model.</summary>
    /// <param name="model">The model; the runner does not own it.</param>
    /// <param name="options">Runner settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="NotSupportedException">An input has an element type or shape the runner cannot pack.</exception>
    /// <exception cref="ArgumentException">An output name in the options is not a model output.</exception>
    public BatchRunner(OnnxModelSession model, BatchRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new BatchRunnerOptions();
        options.Validate();
        _model = model;
        _maxBatch = model.BatchSupport == BatchSupport.PerRow ? 1 : options.MaxBatchSize;
        _maxSequenceLength = options.MaxSequenceLength;

        var keys = new List<string>();
        var metadata = model.Metadata;
        _inputs = new InputPlan[metadata.Inputs.Count];
        _inputNames = new string[_inputs.Length];
        for (var i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = PlanInput(metadata.Inputs[i], options, keys, model.ModelName);
            _inputNames[i] = metadata.Inputs[i].Name;
        }

        _lengthKeyNames = [.. keys];
        var selected = options.OutputNames ?? [.. metadata.Outputs.Select(o => o.Name)];
        _outputs = new OutputPlan[selected.Count];
        _outputNames = new string[selected.Count];
        for (var o = 0; o < selected.Count; o++)
        {
            var meta = metadata.FindOutput(selected[o])
                ?? throw new ArgumentException($"Model '{model.ModelName}' has no output named '{selected[o]}'. Its outputs are: {string.Join(", ", metadata.Outputs.Select(x => x.Name))}.", nameof(options));
            _outputs[o] = PlanOutput(meta, _lengthKeyNames);
            _outputNames[o] = meta.Name;
        }
    }

    /// <summary>Gets the model the runner runs.</summary>
    public OnnxModelSession Model => _model;

    /// <summary>Gets the number of model inputs, which is the number of <see cref="RowTensor"/>s per row.</summary>
    public int InputCount => _inputs.Length;

    /// <summary>Gets the model input names, in the order rows give their tensors.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>Gets the output names the runner computes, in the order of <see cref="BatchResult"/> output indices.</summary>
    public IReadOnlyList<string> OutputNames => _outputNames;

    /// <summary>Gets the most rows per ONNX Runtime call (1 for a model that runs per row).</summary>
    public int MaxBatchSize => _maxBatch;

    /// <summary>Gets whether rows are packed into batches or run one call each.</summary>
    public BatchSupport BatchSupport => _model.BatchSupport;

    /// <summary>Gets the index of an input in each row's tensors.</summary>
    /// <param name="name">The input name.</param>
    /// <returns>The index, or -1.</returns>
    public int IndexOfInput(string name) => Array.IndexOf(_inputNames, name);

    /// <summary>Gets the index of an output in <see cref="BatchResult"/>.</summary>
    /// <param name="name">The output name.</param>
    /// <returns>The index, or -1.</returns>
    public int IndexOfOutput(string name) => Array.IndexOf(_outputNames, name);

    /// <summary>Checks one row against the model's inputs without running it.</summary>
    /// <param name="row">The row's tensors, one per input in <see cref="InputNames"/> order.</param>
    /// <exception cref="InvalidInputException">The row does not fit the model; the message names the input.</exception>
    public void Validate(ReadOnlySpan<RowTensor> row)
    {
        if (row.Length != _inputs.Length)
        {
            throw new InvalidInputException(_inputNames.Length > 0 ? _inputNames[0] : "<none>", $"A row must give {_inputs.Length} tensors (one per input: {string.Join(", ", _inputNames)}), but gave {row.Length}.");
        }

        Span<int> lengths = stackalloc int[Math.Max(1, _lengthKeyNames.Length)];
        MeasureRow(row, 0, lengths);
    }

    /// <summary>Runs rows through the model.</summary>
    /// <param name="rows">The rows' tensors laid out row after row: <c>rows[r * InputCount + i]</c> is row r's tensor for input i.</param>
    /// <param name="cancellationToken">Stops the run between and within ONNX Runtime calls.</param>
    /// <returns>The per-row outputs; the caller disposes it.</returns>
    /// <exception cref="InvalidInputException">A row does not fit the model; the message names the input and the row.</exception>
    /// <exception cref="InferenceException">ONNX Runtime failed on a batch that passed validation.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public BatchResult Run(ReadOnlySpan<RowTensor> rows, CancellationToken cancellationToken = default)
    {
        // A disposed session's native handle must never be used: fail cleanly instead.
        ObjectDisposedException.ThrowIf(_model.IsDisposed, _model);
        if (_inputs.Length == 0 || rows.Length % _inputs.Length != 0)
        {
            throw new ArgumentException($"The row tensors ({rows.Length}) are not a whole number of rows of {_inputs.Length} inputs ({string.Join(", ", _inputNames)}).", nameof(rows));
        }

        var rowCount = rows.Length / _inputs.Length;
        var keyCount = Math.Max(1, _lengthKeyNames.Length);
        var lengths = new int[rowCount * keyCount];

        // Validate every row before running any, so that a bad row fails fast and names itself.
        for (var r = 0; r < rowCount; r++)
        {
            MeasureRow(rows.Slice(r * _inputs.Length, _inputs.Length), r, lengths.AsSpan(r * keyCount, keyCount));
        }

        var result = new BatchResult(this, rowCount, lengths, keyCount);
        try
        {
            for (var start = 0; start < rowCount; start += _maxBatch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(_maxBatch, rowCount - start);
                var outputs = RunChunk(rows.Slice(start * _inputs.Length, count * _inputs.Length), lengths.AsSpan(start * keyCount, count * keyCount), count, keyCount, cancellationToken);
                result.AddSegment(start, count, outputs);
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    internal OutputPlan GetOutputPlan(int output) => _outputs[output];

    private IDisposableReadOnlyCollection<OrtValue> RunChunk(ReadOnlySpan<RowTensor> rows, ReadOnlySpan<int> lengths, int count, int keyCount, CancellationToken cancellationToken)
    {
        Span<int> padded = stackalloc int[keyCount];
        padded.Clear();
        for (var r = 0; r < count; r++)
        {
            for (var k = 0; k < keyCount; k++)
            {
                padded[k] = Math.Max(padded[k], lengths[(r * keyCount) + k]);
            }
        }

        var values = new OrtValue[_inputs.Length];
        var buffers = new Array?[_inputs.Length];
        try
        {
            for (var i = 0; i < _inputs.Length; i++)
            {
                var plan = _inputs[i];
                var rowSize = plan.IsVariable ? plan.Outer * padded[plan.LengthKey] * plan.Inner : plan.FixedRowSize;
                var shape = BatchShape(plan, count, plan.IsVariable ? padded[plan.LengthKey] : 0);
                var total = checked((int)(rowSize * count));
                (values[i], buffers[i]) = plan.ElementType switch
                {
                    TensorElementType.Float => Pack<float>(plan, rows, i, count, padded, keyCount, total, shape),
                    TensorElementType.Int64 => Pack<long>(plan, rows, i, count, padded, keyCount, total, shape),
                    TensorElementType.Int32 => Pack<int>(plan, rows, i, count, padded, keyCount, total, shape),
                    TensorElementType.Double => Pack<double>(plan, rows, i, count, padded, keyCount, total, shape),
                    TensorElementType.Float16 => Pack<Float16>(plan, rows, i, count, padded, keyCount, total, shape),
                    _ => throw new NotSupportedException($"Input '{plan.Name}' has element type {plan.ElementType}."),
                };
            }

            return SessionExecution.Run(_model.Session, _model.ModelName, _inputNames, values, _outputNames, cancellationToken);
        }
        finally
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i]?.Dispose();
                switch (buffers[i])
                {
                    case float[] f:
                        ArrayPool<float>.Shared.Return(f);
                        break;
                    case long[] l:
                        ArrayPool<long>.Shared.Return(l);
                        break;
                    case int[] n:
                        ArrayPool<int>.Shared.Return(n);
                        break;
                    case double[] d:
                        ArrayPool<double>.Shared.Return(d);
                        break;
                    case Float16[] h:
                        ArrayPool<Float16>.Shared.Return(h);
                        break;
                }
            }
        }
    }

    private static (OrtValue Value, Array Buffer) Pack<T>(InputPlan plan, ReadOnlySpan<RowTensor> rows, int input, int count, ReadOnlySpan<int> padded, int keyCount, int total, long[] shape)
        where T : unmanaged
    {
        var inputCount = rows.Length / count;
        var buffer = ArrayPool<T>.Shared.Rent(Math.Max(1, total));
        var destination = buffer.AsSpan(0, total);
        var pad = ConvertPad<T>(plan.PadValue);
        if (!plan.IsVariable)
        {
            var rowSize = (int)plan.FixedRowSize;
            for (var r = 0; r < count; r++)
            {
                var row = rows[(r * inputCount) + input];
                ((T[])row.Values).AsSpan(row.Offset, rowSize).CopyTo(destination.Slice(r * rowSize, rowSize));
            }
        }
        else
        {
            var paddedLength = padded[plan.LengthKey];
            var inner = (int)plan.Inner;
            var outer = (int)plan.Outer;
            var rowSize = outer * paddedLength * inner;
            for (var r = 0; r < count; r++)
            {
                var row = rows[(r * inputCount) + input];
                var source = ((T[])row.Values).AsSpan(row.Offset, row.Length);
                var length = row.Length / (outer * inner);
                var block = length * inner;
                var paddedBlock = paddedLength * inner;
                var rowDestination = destination.Slice(r * rowSize, rowSize);
                for (var o = 0; o < outer; o++)
                {
                    source.Slice(o * block, block).CopyTo(rowDestination.Slice(o * paddedBlock, block));
                    rowDestination.Slice((o * paddedBlock) + block, paddedBlock - block).Fill(pad);
                }
            }
        }

        var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<T>(buffer, 0, total), shape);
        return (value, buffer);
    }

    /// <summary>The array element type rows give for an input: <see cref="TensorMetadata.ClrType"/>, and ONNX Runtime's <see cref="Float16"/> for float16.</summary>
    private static Type? ElementClrType(TensorMetadata meta) => meta.ElementType == TensorElementType.Float16 ? typeof(Float16) : meta.ClrType;

    private static T ConvertPad<T>(double pad)
        where T : unmanaged
    {
        if (typeof(T) == typeof(Float16))
        {
            return (T)(object)(Float16)(float)pad;
        }

        if (typeof(T) == typeof(float))
        {
            return (T)(object)(float)pad;
        }

        if (typeof(T) == typeof(long))
        {
            return (T)(object)(long)pad;
        }

        if (typeof(T) == typeof(int))
        {
            return (T)(object)(int)pad;
        }

        return (T)(object)pad;
    }

    private static long[] BatchShape(InputPlan plan, int count, int paddedLength)
    {
        var dims = plan.Meta.Dimensions;
        var shape = new long[dims.Count];
        shape[0] = count;
        for (var d = 1; d < shape.Length; d++)
        {
            shape[d] = d - 1 == plan.VariableAxis ? paddedLength : dims[d];
        }

        return shape;
    }

    private void MeasureRow(ReadOnlySpan<RowTensor> row, int rowIndex, Span<int> lengths)
    {
        lengths.Clear();
        for (var i = 0; i < _inputs.Length; i++)
        {
            var plan = _inputs[i];
            var tensor = row[i];
            if (tensor.IsEmpty)
            {
                throw new InvalidInputException(plan.Name, $"Row {rowIndex} gives no value for input '{plan.Name}' ({plan.Meta}).", rowIndex);
            }

            var expected = ElementClrType(plan.Meta);
            var actual = tensor.Values.GetType().GetElementType();
            if (actual != expected)
            {
                throw new InvalidInputException(plan.Name, $"Row {rowIndex}: input '{plan.Name}' takes {expected?.Name ?? plan.ElementType.ToString()} values, but the row gives {actual?.Name}.", rowIndex);
            }

            if (!plan.IsVariable)
            {
                if (tensor.Length != plan.FixedRowSize)
                {
                    throw new InvalidInputException(plan.Name, $"Row {rowIndex}: input '{plan.Name}' ({plan.Meta}) takes exactly {plan.FixedRowSize} values per row, but the row gives {tensor.Length}.", rowIndex);
                }

                continue;
            }

            var block = plan.Outer * plan.Inner;
            if (tensor.Length == 0 || tensor.Length % block != 0)
            {
                throw new InvalidInputException(plan.Name, $"Row {rowIndex}: input '{plan.Name}' ({plan.Meta}) takes a positive multiple of {block} values per row, but the row gives {tensor.Length}.", rowIndex);
            }

            var length = (int)(tensor.Length / block);
            if (_maxSequenceLength > 0 && length > _maxSequenceLength)
            {
                throw new InvalidInputException(plan.Name, $"Row {rowIndex}: input '{plan.Name}' has length {length}, more than the maximum of {_maxSequenceLength}. Truncate the input (for text: set the tokenizer's maximum length).", rowIndex);
            }

            ref var slot = ref lengths[plan.LengthKey];
            if (slot != 0 && slot != length)
            {
                throw new InvalidInputException(plan.Name, $"Row {rowIndex}: input '{plan.Name}' has length {length} along '{_lengthKeyNames[plan.LengthKey]}', but another input of the same row has length {slot}.", rowIndex);
            }

            slot = length;
        }
    }

    private static InputPlan PlanInput(TensorMetadata meta, BatchRunnerOptions options, List<string> keys, string modelName)
    {
        if (ElementClrType(meta) is null || meta.ElementType is not (TensorElementType.Float or TensorElementType.Int64 or TensorElementType.Int32 or TensorElementType.Double or TensorElementType.Float16))
        {
            throw new NotSupportedException($"Input '{meta.Name}' of model '{modelName}' has element type {meta.ElementType}; the batch runner packs float, float16, int64, int32 and double inputs.");
        }

        if (meta.Rank == 0)
        {
            throw new NotSupportedException($"Input '{meta.Name}' of model '{modelName}' is a scalar and has no batch dimension.");
        }

        var variableAxis = -1;
        long outer = 1, inner = 1;
        for (var d = 1; d < meta.Rank; d++)
        {
            if (meta.IsDynamic(d))
            {
                if (variableAxis >= 0)
                {
                    throw new NotSupportedException($"Input '{meta.Name}' of model '{modelName}' ({meta}) has more than one variable axis besides the batch; the batch runner pads one.");
                }

                variableAxis = d - 1;
            }
            else if (variableAxis < 0)
            {
                outer *= meta.Dimensions[d];
            }
            else
            {
                inner *= meta.Dimensions[d];
            }
        }

        var lengthKey = -1;
        if (variableAxis >= 0)
        {
            var name = meta.SymbolicDimensions[variableAxis + 1];
            var key = name.Length > 0 ? name : "#" + meta.Name;
            lengthKey = keys.IndexOf(key);
            if (lengthKey < 0)
            {
                keys.Add(key);
                lengthKey = keys.Count - 1;
            }
        }

        options.PadValues.TryGetValue(meta.Name, out var pad);
        return new InputPlan(meta, variableAxis, variableAxis >= 0 ? outer : 1, variableAxis >= 0 ? inner : 1, variableAxis >= 0 ? 0 : outer, lengthKey, pad);
    }

    private static OutputPlan PlanOutput(TensorMetadata meta, string[] keys)
    {
        var rowRank = Math.Max(0, meta.Rank - 1);
        var axisKeys = new int[rowRank];
        var ambiguous = new bool[rowRank];
        for (var a = 0; a < rowRank; a++)
        {
            axisKeys[a] = -1;
            if (!meta.IsDynamic(a + 1))
            {
                continue;
            }

            var name = meta.SymbolicDimensions[a + 1];
            var key = name.Length > 0 ? Array.IndexOf(keys, name) : -1;
            if (key >= 0)
            {
                axisKeys[a] = key;
            }
            else if (keys.Length == 1)
            {
                // A dynamic axis whose name ties it to no input: un-pad it when its size equals the padded length.
                axisKeys[a] = 0;
                ambiguous[a] = true;
            }
        }

        return new OutputPlan(meta, axisKeys, ambiguous);
    }
}
