namespace MLNetInference.Optimizers.Verification.Internal;

/// <summary>Accumulates the comparison of one output over samples.</summary>
internal sealed class OutputAccumulator
{
    private long[]? _shape;
    private double _maxAbsDiff;
    private double _cosineSum;
    private double _minCosine = 1;
    private long _rows;
    private long _agreements;
    private string? _problem;

    public OutputAccumulator(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public void Fail(string problem) => _problem ??= problem;

    public void Add(OutputValues expected, OutputValues actual)
    {
        _shape ??= expected.Shape;
        if (_problem is not null)
        {
            return;
        }

        if (expected.Problem is not null || actual.Problem is not null)
        {
            Fail(expected.Problem ?? actual.Problem!);
            return;
        }

        if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
        {
            Fail($"the shapes differ: [{string.Join(", ", expected.Shape)}] in the original, [{string.Join(", ", actual.Shape)}] in the optimized model");
            return;
        }

        var a = expected.Values!;
        var b = actual.Values!;
        for (var i = 0; i < a.Length; i++)
        {
            var diff = Difference(a[i], b[i]);
            if (diff > _maxAbsDiff)
            {
                _maxAbsDiff = diff;
            }
        }

        var width = RowWidth(expected.Shape);
        if (a.Length == 0)
        {
            return;
        }

        for (var start = 0; start + width <= a.Length; start += width)
        {
            var cosine = Cosine(a.AsSpan(start, width), b.AsSpan(start, width));
            _cosineSum += cosine;
            _minCosine = Math.Min(_minCosine, cosine);
            if (ArgMax(a.AsSpan(start, width)) == ArgMax(b.AsSpan(start, width)))
            {
                _agreements++;
            }

            _rows++;
        }
    }

    public OutputComparison ToComparison()
    {
        if (_problem is not null)
        {
            return new OutputComparison(Name, _shape ?? [], double.MaxValue, 0, 0, 0, _problem);
        }

        return _rows == 0
            ? new OutputComparison(Name, _shape ?? [], _maxAbsDiff, 1, 1, 1)
            : new OutputComparison(Name, _shape ?? [], _maxAbsDiff, _cosineSum / _rows, _minCosine, (double)_agreements / _rows);
    }

    /// <summary>
    /// The length of one compared row: the last axis, together with any trailing axes of size 1 after the last larger
    /// one (the first axis, the batch, is never part of a row), so that a feature map shaped [N, 512, 1, 1] compares 512
    /// features per row, not 512 rows of one value.
    /// </summary>
    private static int RowWidth(long[] shape)
    {
        var last = shape.Length - 1;
        while (last > 1 && shape[last] == 1)
        {
            last--;
        }

        return last < 0 ? 1 : (int)Math.Max(1, shape[last]);
    }

    private static double Difference(double x, double y)
    {
        if (x.Equals(y))
        {
            return 0;
        }

        var diff = Math.Abs(x - y);
        return double.IsFinite(diff) ? diff : double.MaxValue;
    }

    private static double Cosine(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double dot = 0, nx = 0, ny = 0;
        for (var i = 0; i < x.Length; i++)
        {
            dot += x[i] * y[i];
            nx += x[i] * x[i];
            ny += y[i] * y[i];
        }

        if (nx == 0 && ny == 0)
        {
            return 1;
        }

        var cosine = dot / Math.Sqrt(nx * ny);
        return double.IsFinite(cosine) ? Math.Clamp(cosine, -1, 1) : 0;
    }

    private static int ArgMax(ReadOnlySpan<double> values)
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
}
