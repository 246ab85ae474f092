using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// Gives the memory of a retired model version back to the system (<see cref="FreedMemory.Release"/>), off
/// the request path. Without this, each reload leaves the process a little larger (measured by the soak benchmark).
/// </summary>
internal static class RetiredMemory
{
    private static int s_pending;

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
                FreedMemory.Release();
            },
            null);
    }
}
