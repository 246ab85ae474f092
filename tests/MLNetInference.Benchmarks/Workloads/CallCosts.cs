using System.Diagnostics;
using System.Globalization;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>Times single-threaded, sequential calls, to break a load test's per-request cost into its parts.</summary>
internal sealed class CallCosts
{
    private readonly List<(string Name, double Microseconds, string Detail)> _rows = [];
    private readonly TimeSpan _budget;

    public CallCosts(TimeSpan budget)
    {
        _budget = budget;
    }

    /// <summary>Calls <paramref name="call"/> for the time budget (after a short warm-up) and records µs per call.</summary>
    public double Measure(string name, Action call, string detail = "")
    {
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < _budget / 5)
        {
            call();
        }

        var calls = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < _budget)
        {
            call();
            calls++;
        }

        var microseconds = watch.Elapsed.TotalMicroseconds / calls;
        _rows.Add((name, microseconds, detail));
        return microseconds;
    }

    public void WriteMarkdown(TextWriter writer, string title)
    {
        writer.WriteLine();
        writer.WriteLine($"#### {title}");
        writer.WriteLine();
        writer.WriteLine("| step (one thread, sequential) | µs per call | detail |");
        writer.WriteLine("|---|---:|---|");
        foreach (var (name, microseconds, detail) in _rows)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {microseconds:F1} | {detail} |"));
        }
    }
}
