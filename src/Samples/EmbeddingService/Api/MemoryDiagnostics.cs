using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>The process's memory as <c>GET /diagnostics/memory</c> reports it: what a soak test samples over time.</summary>
/// <param name="ManagedHeapBytes">Bytes the managed heap holds after the last GC (fragmentation included), from <see cref="GC.GetGCMemoryInfo()"/>.</param>
/// <param name="TotalAllocatedLiveBytes">Bytes thought to be allocated and alive now, from <see cref="GC.GetTotalMemory(bool)"/> without a collection.</param>
/// <param name="CommittedBytes">Bytes the GC has committed.</param>
/// <param name="WorkingSetBytes">The process's working set (RSS).</param>
/// <param name="Gen0Collections">Gen 0 collections so far.</param>
/// <param name="Gen1Collections">Gen 1 collections so far.</param>
/// <param name="Gen2Collections">Gen 2 collections so far.</param>
/// <param name="NativeHeapInUseBytes">
/// Bytes the C allocator has handed out and not had back (ONNX Runtime's arenas and buffers, the tokenizer's native
/// parts, the runtime's own), over all its arenas; <see langword="null"/> where the C library is not glibc.
/// </param>
/// <param name="NativeHeapFreeBytes">
/// Bytes the C allocator holds free inside its arenas: memory given back by the process but not yet to the system.
/// Growth here, with <paramref name="NativeHeapInUseBytes"/> flat, is fragmentation, not a leak.
/// </param>
/// <param name="ThreadCount">The process's threads (each may bring a C allocator arena of its own).</param>
public sealed record MemoryDiagnostics(
    long ManagedHeapBytes,
    long TotalAllocatedLiveBytes,
    long CommittedBytes,
    long WorkingSetBytes,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    long? NativeHeapInUseBytes,
    long? NativeHeapFreeBytes,
    int ThreadCount)
{
    /// <summary>Maps <c>GET /diagnostics/memory</c>; it reads counters only and never forces a collection.</summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <returns>The same builder.</returns>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/diagnostics/memory", Now);
        return endpoints;
    }

    /// <summary>Reads the counters now.</summary>
    /// <returns>The snapshot.</returns>
    public static MemoryDiagnostics Now()
    {
        var info = GC.GetGCMemoryInfo();
        using var process = Process.GetCurrentProcess();
        var native = NativeHeap.Read();
        return new MemoryDiagnostics(
            info.HeapSizeBytes,
            GC.GetTotalMemory(forceFullCollection: false),
            info.TotalCommittedBytes,
            process.WorkingSet64,
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            native?.InUse,
            native?.Free,
            process.Threads.Count);
    }

    /// <summary>glibc's <c>mallinfo2</c>, which sums every allocator arena (glibc 2.33 and later).</summary>
    private static class NativeHeap
    {
        private static bool s_unavailable = !OperatingSystem.IsLinux();

        public static (long InUse, long Free)? Read()
        {
            if (s_unavailable)
            {
                return null;
            }

            try
            {
                var info = mallinfo2();

                // In use: small and large chunks handed out (uordblks) plus blocks mapped on their own (hblkhd).
                return ((long)(info.uordblks + info.hblkhd), (long)info.fordblks);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                s_unavailable = true; // musl, or a glibc older than 2.33
                return null;
            }
        }

        [DllImport("libc", EntryPoint = "mallinfo2")]
        private static extern MallInfo2 mallinfo2();

        [StructLayout(LayoutKind.Sequential)]
        private struct MallInfo2
        {
            public nuint arena;
            public nuint ordblks;
            public nuint smblks;
            public nuint hblks;
            public nuint hblkhd;
            public nuint usmblks;
            public nuint fsmblks;
            public nuint uordblks;
            public nuint fordblks;
            public nuint keepcost;
        }
    }
}
