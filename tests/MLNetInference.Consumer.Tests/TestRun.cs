using MLNetInference.Consumer.Tests.Internal;

namespace MLNetInference.Consumer.Tests;

/// <summary>Cleans up after all tests: the work folder and this run's packages in NuGet's global packages folder.</summary>
[TestClass]
public static class TestRun
{
    [AssemblyCleanup]
    public static Task CleanUpAsync() => ConsumerFeed.CleanUpAsync();
}
