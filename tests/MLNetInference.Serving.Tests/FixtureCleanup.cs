namespace MLNetInference.Serving.Tests;

/// <summary>Deletes what the shared fixtures wrote to the temp folder once the run is over (a MiniLM zip is 170 MB).</summary>
[TestClass]
public static class FixtureCleanup
{
    [AssemblyCleanup]
    public static void DeleteSharedFiles() => EmbedderFixture.DeleteSharedZip();
}
