using System.Globalization;
using System.Text.RegularExpressions;

namespace MLNetInference.Samples.Tests;

/// <summary>
/// Runs the README's main command, the Quickstart, from the solution's build: it must finish, find neighbours for
/// each query, and embed exactly as ApplyOnnxModel does.
/// </summary>
[TestClass]
public sealed partial class QuickstartTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Run_Quickstart_SearchesAndMatchesApplyOnnxModel()
    {
        var root = DotnetProcess.RepositoryRoot();
        var assembly = Path.Combine(root, "src", "Samples", "Quickstart", "bin", DotnetProcess.Configuration, "net10.0", "Quickstart.dll");
        Assert.IsTrue(File.Exists(assembly), $"{assembly} is missing: build the solution (the test project references the Quickstart).");

        var run = await DotnetProcess.RunAsync(root, [assembly], Timeout, TestContext.CancellationToken);

        Assert.AreEqual(0, run.ExitCode, run.Output);
        var queries = QueryPattern().Matches(run.Output);
        Assert.HasCount(3, queries, run.Output);
        foreach (Match query in queries)
        {
            Assert.AreEqual(3, query.Groups["hit"].Captures.Count, $"{query.Value}: three neighbours expected");
        }

        var summary = SummaryPattern().Match(run.Output);
        Assert.IsTrue(summary.Success, run.Output);
        Assert.IsGreaterThan(0.0, double.Parse(summary.Groups["speedup"].Value, CultureInfo.InvariantCulture));
        Assert.IsGreaterThanOrEqualTo(0.9999, double.Parse(summary.Groups["cosine"].Value, CultureInfo.InvariantCulture), "the batched pipeline must embed as ApplyOnnxModel does");
    }

    [GeneratedRegex(@"Query: ""[^""]+""\n(?<hit>  [01]\.\d{3}  .+\n){3}")]
    private static partial Regex QueryPattern();

    [GeneratedRegex(@"Speed-up: (?<speedup>[0-9.]+)x; lowest cosine between the two embeddings: (?<cosine>[0-9.]+)")]
    private static partial Regex SummaryPattern();
}
