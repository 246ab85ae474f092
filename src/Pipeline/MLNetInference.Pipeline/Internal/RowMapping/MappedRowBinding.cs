using Microsoft.ML;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>
/// The column access shared by <see cref="MappedRow"/> and <see cref="MappedRowCursor"/>: input columns come from
/// the input row, outputs from one <see cref="IRowComputation"/>, computed lazily once per input position.
/// </summary>
internal sealed class MappedRowBinding
{
    private readonly DataViewRow _input;
    private readonly IRowComputation? _computation;
    private readonly bool[] _activeOutputs;
    private readonly Delegate?[] _wrappedGetters;
    private readonly int _inputCount;
    private long _computedPosition = -1;

    /// <summary>Binds a mapper to one input row source.</summary>
    /// <param name="mapper">The mapper.</param>
    /// <param name="input">The input row or cursor, with the mapper's dependencies active when any output is.</param>
    /// <param name="activeOutputs">One flag per output column.</param>
    public MappedRowBinding(IRowMapper mapper, DataViewRow input, bool[] activeOutputs)
        : this(mapper.InputSchema.Count, input, activeOutputs, Array.IndexOf(activeOutputs, true) >= 0 ? mapper.CreateComputation(input) : null)
    {
    }

    /// <summary>Binds a ready computation to one input row source (for sources that compute outside the binding, such as a batched cursor).</summary>
    /// <param name="inputCount">The number of input columns; output columns follow them.</param>
    /// <param name="input">The input row or cursor that serves the input columns.</param>
    /// <param name="activeOutputs">One flag per output column.</param>
    /// <param name="computation">The outputs' getters, or <see langword="null"/> when no output is active.</param>
    public MappedRowBinding(int inputCount, DataViewRow input, bool[] activeOutputs, IRowComputation? computation)
    {
        _input = input;
        _activeOutputs = activeOutputs;
        _inputCount = inputCount;
        _wrappedGetters = new Delegate?[activeOutputs.Length];
        _computation = computation;
    }

    /// <summary>Whether <paramref name="column"/> of the mapped schema is active.</summary>
    /// <param name="column">A column of the mapped schema.</param>
    public bool IsColumnActive(DataViewSchema.Column column)
    {
        int index = column.Index;
        return index < _inputCount
            ? _input.IsColumnActive(_input.Schema[index])
            : _activeOutputs[index - _inputCount];
    }

    /// <summary>Returns the getter of <paramref name="column"/> of the mapped schema.</summary>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="column">A column of the mapped schema.</param>
    public ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        int index = column.Index;
        if (index < _inputCount)
        {
            return _input.GetGetter<TValue>(_input.Schema[index]);
        }

        int outputIndex = index - _inputCount;
        if (!_activeOutputs[outputIndex] || _computation is null)
        {
            throw new InvalidOperationException($"Column '{column.Name}' is not active; request it when creating the cursor or row.");
        }

        if (_wrappedGetters[outputIndex] is ValueGetter<TValue> cached)
        {
            return cached;
        }

        if (_computation.GetGetter(outputIndex) is not ValueGetter<TValue> inner)
        {
            throw new InvalidOperationException($"Column '{column.Name}' has type {column.Type}, which a getter of {typeof(TValue).Name} cannot read.");
        }

        ValueGetter<TValue> getter = (ref TValue value) =>
        {
            EnsureComputed();
            inner(ref value);
        };
        _wrappedGetters[outputIndex] = getter;
        return getter;
    }

    private void EnsureComputed()
    {
        long position = _input.Position;

        // PERF: all outputs of one row come from one computation; compute once per position, not per getter.
        // A row without a position (negative) is recomputed on every read.
        if (position < 0 || position != _computedPosition)
        {
            _computation!.Compute();
            _computedPosition = position;
        }
    }
}
