using System.Runtime;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Core.Tests.Runtime;

[TestClass]
public sealed class FreedMemoryTests
{
    [TestMethod]
    public void Release_RunsOneBlockingCompactingFullCollectionWithTheLargeObjectHeap()
    {
        // Garbage on the large-object heap, as a disposed model's load-time arrays leave it.
        for (var i = 0; i < 8; i++)
        {
            GC.KeepAlive(new byte[1 << 20]);
        }

        var before = GC.CollectionCount(GC.MaxGeneration);

        FreedMemory.Release();

        Assert.IsGreaterThan(before, GC.CollectionCount(GC.MaxGeneration), "a full collection ran");
        var last = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        Assert.AreEqual(GC.MaxGeneration, last.Generation);
        Assert.IsTrue(last.Compacted, "the full collection compacted");
        Assert.AreEqual(GCLargeObjectHeapCompactionMode.Default, GCSettings.LargeObjectHeapCompactionMode, "CompactOnce was consumed by that collection");
    }
}
