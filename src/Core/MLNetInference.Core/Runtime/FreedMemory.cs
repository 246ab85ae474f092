using System.Runtime;
using MLNetInference.Core.Runtime.Internal;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// Gives the memory of disposed models back to the operating system. Freeing a whole model at once (its weights, ONNX
/// Runtime's arenas, the large managed arrays it was read through) returns nothing to the system by itself: the GC keeps
/// the large-object heap's free space until a compacting gen 2, and glibc keeps freed chunks in its per-thread arenas
/// until they are trimmed. The prediction pool calls this after a reload retires a model version; an app that swaps
/// models itself can call it the same way.
/// </summary>
public static class FreedMemory
{
    /// <summary>
    /// Runs one blocking, compacting collection with the large-object heap included, then trims the C allocator's free
    /// space (glibc's <c>malloc_trim</c> on Linux; nothing elsewhere or where the C library lacks it). It stops the
    /// managed threads for the length of a full collection, so call it once after a model is disposed, off the request path.
    /// </summary>
    public static void Release()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        NativeHeap.Trim();
    }
}
