using Microsoft.ML;

namespace MLNetInference.Internal.RowMapping;

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
    {
        _input = input;
        _activeOutputs = activeOutputs;
        _inputCount = mapper.InputSchema.Count;
        _wrappedGetters = new Delegate?[activeOutputs.Length];
        if (Array.IndexOf(activeOutputs, true) >= 0)
        {
            _computation = mapper.CreateComputation(input);
        }
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
