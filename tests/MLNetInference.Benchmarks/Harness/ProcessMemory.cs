namespace MLNetInference.Benchmarks.Harness;

/// <summary>Reads the process's peak resident set size.</summary>
internal static class ProcessMemory
{
    /// <summary>Gets VmHWM from /proc/self/status in MiB: the high-water mark of the whole process, not of one variant.</summary>
    public static double PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
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
