using System.Runtime;
using System.Runtime.InteropServices;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// Gives the memory of a retired model version back to the system. A reload frees a whole model at once (its
/// weights, ONNX Runtime's arenas, the large managed arrays it was read through), and neither allocator returns
/// that by itself: the GC keeps the large-object heap's free space until a compacting gen 2, and glibc keeps freed
/// chunks in its per-thread arenas until they are trimmed. Without this, each reload leaves the process a little
/// larger (measured by the soak benchmark).
/// </summary>
internal static class RetiredMemory
{
    private static int s_pending;

    private static bool s_trimUnavailable = !OperatingSystem.IsLinux();

    /// <summary>Queues one release on the thread pool; calls that arrive while one is queued share it.</summary>
    public static void Release()
    {
        if (Interlocked.Exchange(ref s_pending, 1) == 1)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static _ =>
            {
                Volatile.Write(ref s_pending, 0);
                ReleaseNow();
            },
            null);
    }

    /// <summary>Compacts the large-object heap once and trims the C allocator's free space.</summary>
    public static void ReleaseNow()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        TrimNativeHeap();
    }

    private static void TrimNativeHeap()
    {
        if (s_trimUnavailable)
        {
            return;
        }

        try
        {
            _ = malloc_trim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            s_trimUnavailable = true; // not glibc (musl has no malloc_trim)
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int malloc_trim(nuint pad);
}
