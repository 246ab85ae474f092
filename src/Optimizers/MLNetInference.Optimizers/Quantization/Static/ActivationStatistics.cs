namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>
/// Streaming statistics of one activation: exact minimum and maximum, and a histogram of absolute values over
/// [0, <see cref="Upper"/>). When a value beyond the histogram's end arrives, the end doubles and neighbouring bins merge
/// in pairs (bin edges stay aligned, so no count moves to a wrong bin); memory stays at one array of bins.
/// </summary>
internal sealed class ActivationStatistics
{
    private readonly long[] _bins;

    public ActivationStatistics(string name, int bins)
    {
        Name = name;
        _bins = new long[bins + (bins % 2)];
    }

    public string Name { get; }

    public double Min { get; private set; } = double.PositiveInfinity;

    public double Max { get; private set; } = double.NegativeInfinity;

    public long Count { get; private set; }

    /// <summary>Gets the rank of the tensor as last observed; -1 before the first observation.</summary>
    public int Rank { get; set; } = -1;

    /// <summary>Gets the end of the histogram's range; 0 until a non-zero value is seen.</summary>
    public double Upper { get; private set; }

    public IReadOnlyList<long> Bins => _bins;

    public void Add(ReadOnlySpan<float> values)
    {
        var (min, max, maxAbs) = (double.PositiveInfinity, double.NegativeInfinity, 0.0);
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                continue;
            }

            min = Math.Min(min, v);
            max = Math.Max(max, v);
            maxAbs = Math.Max(maxAbs, Math.Abs(v));
        }

        Grow(maxAbs);
        var scale = Upper > 0 ? _bins.Length / Upper : 0;
        var last = _bins.Length - 1;
        var added = 0L;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                _bins[Math.Min((int)(Math.Abs(v) * scale), last)]++;
                added++;
            }
        }

        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        Count += added;
    }

    /// <summary>Chooses the range to quantize with.</summary>
    /// <param name="options">The method and its settings.</param>
    /// <returns>The observed and chosen ranges; a tensor never seen gets [0, 0].</returns>
    public ActivationRange ToRange(StaticInt8Options options)
    {
        if (Count == 0)
        {
            return new ActivationRange(Name, 0f, 0f, 0f, 0f, 0);
        }

        var (min, max) = (Min, Max);
        var threshold = options.Method switch
        {
            CalibrationMethod.Percentile => PercentileThreshold(options.Percentile),
            CalibrationMethod.Entropy => EntropyThreshold(min >= 0 ? 256 : 128),
            _ => double.PositiveInfinity,
        };
        var low = Math.Max(min, -threshold);
        var high = Math.Min(max, threshold);
        return new ActivationRange(Name, (float)min, (float)max, (float)low, (float)high, Count);
    }

    /// <summary>The upper edge of the bin where the cumulative count of |x| reaches <paramref name="percentile"/> %.</summary>
    internal double PercentileThreshold(double percentile)
    {
        if (Upper <= 0)
        {
            return 0;
        }

        var target = Count * (percentile / 100.0);
        var width = Upper / _bins.Length;
        long cumulative = 0;
        for (var i = 0; i < _bins.Length; i++)
        {
            cumulative += _bins[i];
            if (cumulative >= target)
            {
                return (i + 1) * width;
            }
        }

        return Upper;
    }

    /// <summary>
    /// The threshold T (a bin edge) minimizing KL(P‖Q), where P is the histogram of |x| cut at T (the tail folded into
    /// the last kept bin) and Q is P merged into <paramref name="levels"/> quantization levels and spread back evenly
    /// over each level's non-empty bins.
    /// </summary>
    internal double EntropyThreshold(int levels)
    {
        if (Upper <= 0)
        {
            return 0;
        }

        var n = _bins.Length;
        var lastNonEmpty = n - 1;
        while (lastNonEmpty > 0 && _bins[lastNonEmpty] == 0)
        {
            lastNonEmpty--;
        }

        var width = Upper / n;
        if (lastNonEmpty + 1 <= levels)
        {
            return (lastNonEmpty + 1) * width;
        }

        var p = new double[n];
        var q = new double[n];
        var bestKl = double.PositiveInfinity;
        var best = lastNonEmpty + 1;
        var tail = 0.0;
        for (var i = lastNonEmpty + 1; i < n; i++)
        {
            tail += _bins[i];
        }

        // Walk the cut from the end down so that the folded tail is a running sum.
        var tails = new double[lastNonEmpty + 2];
        tails[lastNonEmpty + 1] = tail;
        for (var i = lastNonEmpty; i >= 0; i--)
        {
            tails[i] = tails[i + 1] + _bins[i];
        }

        for (var cut = levels; cut <= lastNonEmpty + 1; cut++)
        {
            for (var i = 0; i < cut; i++)
            {
                p[i] = _bins[i];
            }

            p[cut - 1] += tails[cut];

            // Merge the cut histogram into `levels` groups, then spread each group's mass over its non-empty bins.
            for (var level = 0; level < levels; level++)
            {
                var start = (int)((long)level * cut / levels);
                var end = (int)((long)(level + 1) * cut / levels);
                double mass = 0;
                var nonEmpty = 0;
                for (var i = start; i < end; i++)
                {
                    mass += _bins[i];
                    if (_bins[i] != 0)
                    {
                        nonEmpty++;
                    }
                }

                for (var i = start; i < end; i++)
                {
                    q[i] = _bins[i] != 0 ? mass / nonEmpty : 0;
                }
            }

            var kl = KlDivergence(p.AsSpan(0, cut), q.AsSpan(0, cut));
            if (kl < bestKl)
            {
                bestKl = kl;
                best = cut;
            }
        }

        return best * width;
    }

    private static double KlDivergence(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double pSum = 0, qSum = 0;
        for (var i = 0; i < p.Length; i++)
        {
            pSum += p[i];
            qSum += q[i];
        }

        if (pSum <= 0 || qSum <= 0)
        {
            return double.PositiveInfinity;
        }

        const double Epsilon = 1e-12;
        double kl = 0;
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] <= 0)
            {
                continue;
            }

            var pi = p[i] / pSum;
            var qi = Math.Max(q[i] / qSum, Epsilon);
            kl += pi * Math.Log(pi / qi);
        }

        return kl;
    }

    private void Grow(double maxAbs)
    {
        if (maxAbs <= Upper)
        {
            return;
        }

        if (Upper <= 0)
        {
            // Only zeros so far (all in bin 0); any end keeps them there.
            Upper = maxAbs;
            return;
        }

        while (Upper < maxAbs)
        {
            var half = _bins.Length / 2;
            for (var i = 0; i < half; i++)
            {
                _bins[i] = _bins[2 * i] + _bins[(2 * i) + 1];
            }

            Array.Clear(_bins, half, _bins.Length - half);
            Upper *= 2;
        }
    }
}
