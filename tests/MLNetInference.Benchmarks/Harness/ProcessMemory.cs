namespace MLNetInference.Benchmarks.Harness;

/// <summary>Reads the process's resident set size: its peak so far and its current size.</summary>
internal static class ProcessMemory
{
    /// <summary>Gets VmHWM from /proc/self/status in MiB: the high-water mark of the whole process, not of one variant.</summary>
    public static double PeakRssMb() => StatusMb("VmHWM:");

    /// <summary>Gets VmRSS from /proc/self/status in MiB: the resident set of the whole process now.</summary>
    public static double CurrentRssMb() => StatusMb("VmRSS:");

    /// <summary>Gets VmRSS of another process in MiB, or NaN when it cannot be read (the process has exited).</summary>
    public static double CurrentRssMbOf(int processId) => StatusMbOf(processId, "VmRSS:");

    /// <summary>Gets VmHWM of another process in MiB, or NaN when it cannot be read.</summary>
    public static double PeakRssMbOf(int processId) => StatusMbOf(processId, "VmHWM:");

    private static double StatusMbOf(int processId, string field)
    {
        try
        {
            return ReadStatusMb($"/proc/{processId}/status", field) ?? double.NaN;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    private static double? ReadStatusMb(string path, string field)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kb = long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }

        return null;
    }

    private static double StatusMb(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    return kb / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }

        return Environment.WorkingSet / (1024.0 * 1024.0);
    }
}
