using System.Runtime.InteropServices;

namespace MLNetInference.Core.Runtime.Internal;

/// <summary>
/// Gives freed native memory back to the operating system. A disposed session frees hundreds of megabytes of weights and
/// arena blocks; glibc keeps such memory in its per-thread arenas, so without a trim every hot reload leaves the
/// process's RSS higher than the last.
/// </summary>
internal static class NativeHeap
{
    private static int _unavailable;

    /// <summary>Trims glibc's heaps on Linux; does nothing elsewhere, or where the C library has no <c>malloc_trim</c>.</summary>
    public static void Trim()
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref _unavailable) != 0)
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl and other C libraries: nothing to trim through this call.
            Volatile.Write(ref _unavailable, 1);
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
