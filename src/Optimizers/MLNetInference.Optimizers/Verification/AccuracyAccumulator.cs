using System.Buffers;
using System.Numerics;

namespace MLNetInference.Optimizers.Verification;

/// <summary>
/// Compares an original model's outputs with an optimized model's, row by row, over any number of outputs and
/// samples, with the measures of <see cref="Accuracy"/>: the largest absolute difference, the mean and smallest row
/// cosine (for embeddings) and the fraction of rows whose top-1 agrees (for classifiers).
/// </summary>
/// <remarks>
/// Rows are cut as <see cref="Layout"/> says. Until a row is added the cosines and the agreement read 1 (nothing
/// disagrees). An instance is not safe for concurrent use.
/// </remarks>
public sealed class AccuracyAccumulator
{
    private double _maxAbsDiff;
    private double _cosineSum;
    private double _minCosine = 1;
    private long _rows;
    private long _agreements;

    /// <summary>Initializes a new instance of the <see cref="AccuracyAccumulator"/> class.</summary>
    /// <param name="layout">How outputs are cut into rows; <see cref="AccuracyRowLayout.LastAxis"/> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layout"/> is not a defined value.</exception>
    public AccuracyAccumulator(AccuracyRowLayout layout = AccuracyRowLayout.LastAxis)
    {
        if (!Enum.IsDefined(layout))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Use AccuracyRowLayout.LastAxis or AccuracyRowLayout.PooledTokens.");
        }

        Layout = layout;
    }

    /// <summary>Gets how outputs are cut into rows.</summary>
    public AccuracyRowLayout Layout { get; }

    /// <summary>Gets the number of rows compared so far.</summary>
    public long Rows => _rows;

    /// <summary>Gets the largest absolute difference of any element so far (see <see cref="Accuracy.MaxAbsDiff(ReadOnlySpan{double}, ReadOnlySpan{double})"/>).</summary>
    public double MaxAbsDiff => _maxAbsDiff;

    /// <summary>Gets the mean row cosine; 1 before any row.</summary>
    public double MeanCosine => _rows == 0 ? 1 : _cosineSum / _rows;

    /// <summary>Gets the smallest row cosine; 1 before any row.</summary>
    public double MinCosine => _minCosine;

    /// <summary>Gets the fraction of rows whose argmax agrees; 1 before any row.</summary>
    public double Top1Agreement => _rows == 0 ? 1 : (double)_agreements / _rows;

    /// <summary>Adds one output of one sample.</summary>
    /// <param name="expected">The original's values, row-major.</param>
    /// <param name="actual">The optimized model's values for the same output and sample.</param>
    /// <param name="shape">The output's shape, which both share.</param>
    /// <exception cref="ArgumentException">The values differ in length, or their number is not what the shape holds.</exception>
    public void Add(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ReadOnlySpan<long> shape) => AddCore(expected, actual, shape);

    /// <inheritdoc cref="Add(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{long})"/>
    public void Add(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, ReadOnlySpan<long> shape) => AddCore(expected, actual, shape);

    private void AddCore<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, ReadOnlySpan<long> shape)
        where T : unmanaged, INumberBase<T>, IComparisonOperators<T, T, bool>
    {
        long size = 1;
        foreach (var dim in shape)
        {
            size *= dim;
        }

        if (size != expected.Length)
        {
            throw new ArgumentException($"The shape [{string.Join(", ", shape.ToArray())}] holds {size} values, but {expected.Length} were given.", nameof(shape));
        }

        var maxAbsDiff = Accuracy.MaxAbsDiffCore(expected, actual);
        _maxAbsDiff = Math.Max(_maxAbsDiff, maxAbsDiff);
        if (Layout == AccuracyRowLayout.PooledTokens && shape.Length == 3 && shape[1] > 0)
        {
            AddPooled(expected, actual, (int)shape[0], (int)shape[1], (int)shape[2]);
            return;
        }

        var width = Accuracy.RowWidth(shape);
        for (var start = 0; start + width <= expected.Length; start += width)
        {
            AddRow(expected.Slice(start, width), actual.Slice(start, width));
        }
    }

    private void AddPooled<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, int batch, int tokens, int width)
        where T : unmanaged, INumberBase<T>, IComparisonOperators<T, T, bool>
    {
        // PERF: two pooled rows rented once per output, not allocated per row.
        var buffer = ArrayPool<T>.Shared.Rent(2 * width);
        try
        {
            var pooledExpected = buffer.AsSpan(0, width);
            var pooledActual = buffer.AsSpan(width, width);
            for (var b = 0; b < batch; b++)
            {
                Pool(expected, b, tokens, width, pooledExpected);
                Pool(actual, b, tokens, width, pooledActual);
                AddRow<T>(pooledExpected, pooledActual);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }

    /// <summary>Sums a sample row's token states, in token order; the cosine does not depend on the 1/T of a mean.</summary>
    private static void Pool<T>(ReadOnlySpan<T> values, int row, int tokens, int width, Span<T> pooled)
        where T : unmanaged, INumberBase<T>
    {
        pooled.Clear();
        for (var t = 0; t < tokens; t++)
        {
            var token = values.Slice(((row * tokens) + t) * width, width);
            for (var i = 0; i < width; i++)
            {
                pooled[i] += token[i];
            }
        }
    }

    private void AddRow<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual)
        where T : unmanaged, INumberBase<T>, IComparisonOperators<T, T, bool>
    {
        var cosine = Accuracy.CosineCore(expected, actual);
        _cosineSum += cosine;
        _minCosine = Math.Min(_minCosine, cosine);
        if (Accuracy.ArgMaxCore(expected) == Accuracy.ArgMaxCore(actual))
        {
            _agreements++;
        }

        _rows++;
    }
}
