using MLNetInference.Tests.Shared;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNetInference.Samples.Tests.Notebook;

/// <summary>
/// Runs src/Samples/Notebook/MLNetInference.ipynb headlessly with the local tool dotnet-repl (as CI does) and reads the
/// executed notebook it writes: no cell may fail, and the tables the notebook promises must be there.
/// </summary>
/// <remarks>
/// The assemblies the notebook loads come from the NotebookSupport project, which this test project references so
/// that building the tests builds them. dotnet-repl prints nothing without a terminal, so the outputs are read from
/// the notebook it writes.
/// </remarks>
[TestClass]
public sealed partial class NotebookTests
{
    private const string NotebookFileName = "MLNetInference.ipynb";

    private static readonly TimeSpan ToolRestoreTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan NotebookTimeout = TimeSpan.FromMinutes(5);

    private static JsonDocument? _executed;
    private static ChildProcess.Result? _run;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task RunNotebook(TestContext context)
    {
        var root = DotnetProcess.RepositoryRoot();
        var folder = Path.Combine(root, "src", "Samples", "Notebook");
        var support = Path.Combine(folder, "NotebookSupport", "bin", "notebook", "MLNetInference.Pipeline.dll");
        Assert.IsTrue(File.Exists(support), $"{support} is missing: build the solution (the test project references NotebookSupport).");

        var restore = await DotnetProcess.RunAsync(root, ["tool", "restore"], ToolRestoreTimeout, context.CancellationToken);
        Assert.AreEqual(0, restore.ExitCode, $"dotnet tool restore failed:\n{restore.Output}");

        var output = Path.Combine(Directory.CreateTempSubdirectory("mlnetinference-notebook-").FullName, "out.ipynb");
        _run = await DotnetProcess.RunAsync(folder, ["repl", "--run", NotebookFileName, "--exit-after-run", "--output-path", output], NotebookTimeout, context.CancellationToken);
        Assert.IsTrue(File.Exists(output), $"dotnet repl wrote no notebook (exit code {_run.ExitCode}):\n{_run.Output}");
        _executed = JsonDocument.Parse(await File.ReadAllBytesAsync(output, context.CancellationToken));
        Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
    }

    [ClassCleanup]
    public static void Release() => _executed?.Dispose();

    [TestMethod]
    public void Run_EveryCell_SucceedsWithoutErrorOutputs()
    {
        var errors = Outputs()
            .Where(o => o.GetProperty("output_type").GetString() == "error")
            .Select(o => o.TryGetProperty("evalue", out var value) ? value.GetString() : o.ToString())
            .ToList();

        Assert.IsEmpty(errors, "cells failed:\n" + string.Join("\n", errors));
        Assert.AreEqual(0, _run!.ExitCode, $"dotnet repl exited with {_run.ExitCode}:\n{_run.Output}");
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
    public void Run_SemanticSearch_ShowsRelevantNearestNeighbours()
    {
        var table = Table("Nearest neighbours");

        // Three queries, three neighbours each; the binary-classification query finds a sentence about it.
        Assert.AreEqual(9, table.Count, "one row per query and rank");
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

    private static IEnumerable<JsonElement> Cells()
    {
        Assert.IsNotNull(_executed, "the notebook did not run");
        return _executed.RootElement.GetProperty("cells").EnumerateArray();
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

    [GeneratedRegex("<tr>(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("<td>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex CellPattern();


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
}
