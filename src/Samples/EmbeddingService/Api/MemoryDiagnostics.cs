using System.Diagnostics;

namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>The process's memory as <c>GET /diagnostics/memory</c> reports it: what a soak test samples over time.</summary>
/// <param name="ManagedHeapBytes">Bytes the managed heap holds after the last GC (fragmentation included), from <see cref="GC.GetGCMemoryInfo()"/>.</param>
/// <param name="TotalAllocatedLiveBytes">Bytes thought to be allocated and alive now, from <see cref="GC.GetTotalMemory(bool)"/> without a collection.</param>
/// <param name="CommittedBytes">Bytes the GC has committed.</param>
/// <param name="WorkingSetBytes">The process's working set (RSS).</param>
/// <param name="Gen0Collections">Gen 0 collections so far.</param>
/// <param name="Gen1Collections">Gen 1 collections so far.</param>
/// <param name="Gen2Collections">Gen 2 collections so far.</param>
public sealed record MemoryDiagnostics(
    long ManagedHeapBytes,
    long TotalAllocatedLiveBytes,
    long CommittedBytes,
    long WorkingSetBytes,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections)
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
        return new MemoryDiagnostics(
            info.HeapSizeBytes,
            GC.GetTotalMemory(forceFullCollection: false),
            info.TotalCommittedBytes,
            process.WorkingSet64,
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2));
    }
}
