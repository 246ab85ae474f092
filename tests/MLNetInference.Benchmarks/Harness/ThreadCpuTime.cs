using System.Runtime.InteropServices;

namespace MLNetInference.Benchmarks.Harness;

/// <summary>
/// The CPU time the calling thread has used (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>). On a machine shared with other work,
/// a single-threaded step's CPU time per call is its cost; its wall time is mostly waiting for a core.
/// </summary>
internal static partial class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;

    /// <summary>Gets whether the clock can be read here (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Gets the calling thread's CPU time in microseconds.</summary>
    public static double NowMicroseconds()
    {
        if (clock_gettime(ClockThreadCpuTimeId, out var time) != 0)
        {
            throw new InvalidOperationException($"clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed ({Marshal.GetLastPInvokeError()}).");
        }

        return (time.Seconds * 1e6) + (time.Nanoseconds / 1e3);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
