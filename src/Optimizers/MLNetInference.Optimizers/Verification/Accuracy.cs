using System.Numerics;

namespace MLNetInference.Optimizers.Verification;

/// <summary>
/// The one accuracy module: the measures by which an optimized model's outputs are compared with the original's
/// (cosine similarity, largest absolute difference, top-1 agreement), for the model verifier and the tuner alike.
/// <see cref="AccuracyAccumulator"/> applies them row by row over many outputs and samples.
/// </summary>
public static class Accuracy
{
    /// <summary>The cosine similarity of two vectors, computed in double precision.</summary>
    /// <param name="expected">The original's values.</param>
    /// <param name="actual">The optimized model's values, as many as <paramref name="expected"/>.</param>
    /// <returns>
    /// The cosine in [-1, 1]: 1 when both vectors are zero, 0 when only one is or when the result is not finite (NaN or
    /// infinite values).
    /// </returns>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double Cosine(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual) => CosineCore(expected, actual);

    /// <inheritdoc cref="Cosine(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
    public static double Cosine(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual) => CosineCore(expected, actual);

    /// <summary>The index of the largest value (the first one on ties; NaN never wins).</summary>
    /// <param name="values">The values.</param>
    /// <returns>The index; 0 for an empty span.</returns>
    public static int ArgMax(ReadOnlySpan<float> values) => ArgMaxCore(values);

    /// <inheritdoc cref="ArgMax(ReadOnlySpan{float})"/>
    public static int ArgMax(ReadOnlySpan<double> values) => ArgMaxCore(values);

    /// <summary>The largest absolute difference between two vectors, element by element.</summary>
    /// <param name="expected">The original's values.</param>
    /// <param name="actual">The optimized model's values, as many as <paramref name="expected"/>.</param>
    /// <returns>
    /// The difference; equal values (NaN and NaN, or the same infinity, included) differ by 0, and a difference that is
    /// not finite counts as <see cref="double.MaxValue"/>.
    /// </returns>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double MaxAbsDiff(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual) => MaxAbsDiffCore(expected, actual);

    /// <inheritdoc cref="MaxAbsDiff(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
    public static double MaxAbsDiff(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual) => MaxAbsDiffCore(expected, actual);

    /// <summary>
    /// The length of one compared row of an output: its last axis, together with any trailing axes of size 1 after the
    /// last larger one. The first axis, the batch, is never part of a row, so a feature map shaped [N, 512, 1, 1]
    /// compares 512 features per row, not 512 rows of one value, and [N, 1] compares N rows of one score.
    /// </summary>
    /// <param name="shape">The output's shape.</param>
    /// <returns>The row length; 1 for a scalar.</returns>
    public static int RowWidth(ReadOnlySpan<long> shape)
    {
        var last = shape.Length - 1;
        while (last > 1 && shape[last] == 1)
        {
            last--;
        }

        return last < 0 ? 1 : (int)Math.Max(1, shape[last]);
    }

    internal static double CosineCore<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, INumberBase<T>
    {
        CheckLengths(x.Length, y.Length);
        double dot = 0, nx = 0, ny = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var a = double.CreateTruncating(x[i]);
            var b = double.CreateTruncating(y[i]);
            dot += a * b;
            nx += a * a;
            ny += b * b;
        }

        if (nx == 0 && ny == 0)
        {
            return 1;
        }

        var cosine = dot / Math.Sqrt(nx * ny);
        return double.IsFinite(cosine) ? Math.Clamp(cosine, -1, 1) : 0;
    }

    internal static int ArgMaxCore<T>(ReadOnlySpan<T> values)
        where T : unmanaged, INumberBase<T>, IComparisonOperators<T, T, bool>
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    internal static double MaxAbsDiffCore<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, INumberBase<T>
    {
        CheckLengths(x.Length, y.Length);
        double worst = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var a = double.CreateTruncating(x[i]);
            var b = double.CreateTruncating(y[i]);
            if (a.Equals(b))
            {
                continue;
            }

            var diff = Math.Abs(a - b);
            diff = double.IsFinite(diff) ? diff : double.MaxValue;
            if (diff > worst)
            {
                worst = diff;
            }
        }

        return worst;
    }

    private static void CheckLengths(int expected, int actual)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"The two vectors must be as long as each other; the original's has {expected} values, the optimized model's {actual}.", nameof(actual));
        }
    }
}
