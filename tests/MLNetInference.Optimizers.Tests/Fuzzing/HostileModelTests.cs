using System.Diagnostics;
using System.Globalization;
using System.Text;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models;

namespace MLNetInference.Optimizers.Tests.Fuzzing;

/// <summary>
/// The model mutation fuzzer: 500 deterministic mutations of the fixture models, MiniLM and ResNet18 go through load,
/// checks, two optimization recipes and session creation in child processes (MLNetInference.FuzzHost), so that a native
/// crash or hang in ONNX Runtime is caught and counted. Each mutation must end in a typed error or a valid model.
/// </summary>
[TestClass]
public sealed class HostileModelTests
{
    private const int Seed = 20261205;
    private const int Mutations = 500;

    /// <summary>The first mutations are of the real models (slow to load and optimize); the rest are of the fixtures.</summary>
    private const int RealModelMutations = 20;

    /// <summary>A hang guard per model: no mutation comes near it on a busy machine unless something hangs.</summary>
    private static readonly TimeSpan PerModelHangGuard = TimeSpan.FromMinutes(5);

    private static readonly string[] FixtureRecipes = ["fuse", "fuse+int8-dynamic"];
    private static readonly string[] RealModelRecipes = ["fuse"];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task LoadCheckOptimizeAndSession_FiveHundredMutations_EachEndsInATypedErrorOrAValidModel()
    {
        var host = HostAssembly();
        var root = Directory.CreateTempSubdirectory("mlnetinference-fuzz-").FullName;
        var clock = Stopwatch.StartNew();
        try
        {
            var work = WriteMutations(root);
            var outcomes = await RunAsync(host, root, work);
            clock.Stop();

            var summary = Summarize(work, outcomes, clock.Elapsed);
            TestContext.WriteLine(summary.Text);
            File.WriteAllText(Path.Combine(TestContext.TestRunResultsDirectory ?? root, "fuzz-summary.txt"), summary.Text);

            Assert.HasCount(Mutations, outcomes, "every mutation must have an outcome");
            Assert.AreEqual(0, summary.Crashes, $"native crashes:\n{summary.Text}");
            Assert.AreEqual(0, summary.Hangs, $"hangs:\n{summary.Text}");
            Assert.AreEqual(0, summary.Untyped, $"untyped errors:\n{summary.Text}");
            Assert.AreEqual(0, summary.UncheckedSessions, $"sessions created for models our checks rejected:\n{summary.Text}");
            Assert.AreEqual(Mutations, summary.Typed + summary.Valid);
            Assert.IsGreaterThan(Mutations / 2, summary.Typed, "most mutations should break the model; the mutator lost its teeth");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Writes every mutation into its own folder; returns one work item per mutation, in order.</summary>
    private static List<WorkItem> WriteMutations(string root)
    {
        var fixtures = new[] { FixtureModels.TinyTextEncoderName, FixtureModels.SmallMlpName, FixtureModels.TinyFixedBatchImageName, FixtureModels.TinyFixedBatchUnsafeName }
            .Select(name => FixtureModels.EnsureFile(name))
            .ToArray();
        var bases = new Dictionary<string, (byte[] Bytes, ModelProto Parsed)>(StringComparer.Ordinal);
        (byte[] Bytes, ModelProto Parsed) Base(string path)
        {
            if (!bases.TryGetValue(path, out var model))
            {
                var bytes = File.ReadAllBytes(path);
                model = (bytes, OnnxModelIO.Parse(bytes, path));
                bases[path] = model;
            }

            return model;
        }

        var work = new List<WorkItem>(Mutations);
        for (var i = 0; i < Mutations; i++)
        {
            var real = i < RealModelMutations;
            var source = real ? (i % 2 == 0 ? ModelPaths.MiniLmModel : ModelPaths.ResNet18Model) : fixtures[i % fixtures.Length];
            var kind = ModelMutator.Kinds[(real ? i / 2 : i) % ModelMutator.Kinds.Count];
            var (bytes, parsed) = Base(source);
            var folder = Path.Combine(root, i.ToString("D3", CultureInfo.InvariantCulture));
            var (path, description) = ModelMutator.Write(folder, bytes, parsed, kind, new Random(Seed + i));
            work.Add(new WorkItem(i, Path.GetFileName(source), kind, description, path, real ? RealModelRecipes : FixtureRecipes));
        }

        // The real models' parsed copies are large; let them go before the children start.
        bases.Clear();
        GC.Collect();
        return work;
    }

    /// <summary>Runs the work in two child processes at a time, restarting a child past a model that crashed or hung it.</summary>
    private async Task<Dictionary<int, Outcome>> RunAsync(string host, string root, List<WorkItem> work)
    {
        var outcomes = new Dictionary<int, Outcome>();
        var lanes = Enumerable.Range(0, 2).Select(lane => work.Where(w => w.Index % 2 == lane).ToList()).ToArray();
        var results = await Task.WhenAll(lanes.Select((items, lane) => RunLaneAsync(host, root, lane, items)));
        foreach (var lane in results)
        {
            foreach (var (index, outcome) in lane)
            {
                outcomes[index] = outcome;
            }
        }

        return outcomes;
    }

    private async Task<Dictionary<int, Outcome>> RunLaneAsync(string host, string root, int lane, List<WorkItem> items)
    {
        var list = Path.Combine(root, $"lane{lane}.tsv");
        File.WriteAllLines(list, items.Select(w => $"{w.Index}\t{w.Path}\t{string.Join(';', w.Recipes)}"));
        var outcomes = new Dictionary<int, Outcome>();
        var next = 0;
        while (next < items.Count)
        {
            var (finished, dead) = await RunChildAsync(host, list, next, outcomes);
            next += finished;
            if (dead is { } failure)
            {
                // The child died or hung on the model in hand: count it, and go on past it.
                outcomes[items[next].Index] = failure;
                next++;
            }
        }

        return outcomes;
    }

    /// <summary>Runs one child from line <paramref name="first"/>; returns how many models it finished and how it ended if it died in one.</summary>
    private async Task<(int Finished, Outcome? Dead)> RunChildAsync(string host, string list, int first, Dictionary<int, Outcome> outcomes)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(host);
        start.ArgumentList.Add(list);
        start.ArgumentList.Add(first.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("The fuzz host did not start.");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        var finished = 0;
        int? inHand = null;
        while (true)
        {
            using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
            guard.CancelAfter(PerModelHangGuard);
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(guard.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                TestContext.CancellationToken.ThrowIfCancellationRequested();
                return (finished, inHand is null ? null : new Outcome(Result.Hang, $"no answer within {PerModelHangGuard}"));
            }

            if (line is null)
            {
                break;
            }

            if (line.StartsWith("BEGIN ", StringComparison.Ordinal))
            {
                inHand = int.Parse(line.AsSpan(6), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("END ", StringComparison.Ordinal))
            {
                var fields = line.Split('\t');
                var index = int.Parse(fields[0].AsSpan(4), CultureInfo.InvariantCulture);
                outcomes[index] = Outcome.FromStages(fields[1]) with { Milliseconds = long.Parse(fields[2], CultureInfo.InvariantCulture) };
                inHand = null;
                finished++;
            }
        }

        await process.WaitForExitAsync(CancellationToken.None);
        if (inHand is not null || process.ExitCode != 0)
        {
            string tail;
            lock (errors)
            {
                tail = errors.ToString();
            }

            tail = tail.Length > 2000 ? tail[^2000..] : tail;
            if (inHand is null)
            {
                Assert.Fail($"The fuzz host exited with {process.ExitCode} between models: {tail}");
            }

            return (finished, new Outcome(Result.Crash, $"exit code {process.ExitCode}: {tail.ReplaceLineEndings(" ")}"));
        }

        return (finished, null);
    }

    private static Summary Summarize(List<WorkItem> work, Dictionary<int, Outcome> outcomes, TimeSpan elapsed)
    {
        var text = new StringBuilder();
        int typed = 0, valid = 0, crashes = 0, hangs = 0, untyped = 0, uncheckedSessions = 0;
        var byKind = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var item in work)
        {
            if (!outcomes.TryGetValue(item.Index, out var outcome))
            {
                continue;
            }

            var counts = byKind.TryGetValue(item.Kind, out var c) ? c : byKind[item.Kind] = new int[3];
            switch (outcome.Result)
            {
                case Result.Typed: typed++; counts[0]++; break;
                case Result.Valid: valid++; counts[1]++; break;
                case Result.Crash: crashes++; counts[2]++; break;
                case Result.Hang: hangs++; counts[2]++; break;
                default: untyped++; counts[2]++; break;
            }

            if (outcome.SessionWithoutChecks)
            {
                uncheckedSessions++;
            }

            if (outcome.Result is not (Result.Typed or Result.Valid) || outcome.SessionWithoutChecks)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"#{item.Index} {item.Source} {item.Kind} ({item.Description}): {outcome.Result} {outcome.Detail}");
            }
        }

        var real = work.Where(w => w.Index < RealModelMutations && outcomes.ContainsKey(w.Index)).Sum(w => outcomes[w.Index].Milliseconds) / 1000.0;
        var fixtures = work.Where(w => w.Index >= RealModelMutations && outcomes.ContainsKey(w.Index)).Sum(w => outcomes[w.Index].Milliseconds) / 1000.0;
        var header = new StringBuilder();
        header.AppendLine(CultureInfo.InvariantCulture, $"mutations {outcomes.Count} (seed {Seed}; {RealModelMutations} of MiniLM and ResNet18, the rest of 4 fixtures): typed errors {typed}, valid models {valid}, crashes {crashes}, hangs {hangs}, untyped errors {untyped}, sessions past failed checks {uncheckedSessions}; {elapsed.TotalSeconds:F0} s in all, of which child time {real:F0} s on the real models and {fixtures:F0} s on the fixtures (two children at once)");
        header.AppendLine("kind: typed / valid / failed");
        foreach (var (kind, counts) in byKind)
        {
            header.AppendLine(CultureInfo.InvariantCulture, $"  {kind}: {counts[0]} / {counts[1]} / {counts[2]}");
        }

        return new Summary(header.Append(text).ToString(), typed, valid, crashes, hangs, untyped, uncheckedSessions);
    }

    private static string HostAssembly()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "MLNetInference.sln")))
            {
                var host = Path.Combine(folder.FullName, "tests", "MLNetInference.FuzzHost", "bin", configuration, "net10.0", "MLNetInference.FuzzHost.dll");
                Assert.IsTrue(File.Exists(host), $"{host} is missing: build the test project (it references the fuzz host).");
                return host;
            }
        }

        throw new InvalidOperationException($"No MLNetInference.sln above {AppContext.BaseDirectory}.");
    }

    private static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private enum Result
    {
        Typed,
        Valid,
        Untyped,
        Crash,
        Hang,
    }

    private sealed record WorkItem(int Index, string Source, string Kind, string Description, string Path, string[] Recipes);

    private sealed record Summary(string Text, int Typed, int Valid, int Crashes, int Hangs, int Untyped, int UncheckedSessions);

    private sealed record Outcome(Result Result, string Detail)
    {
        /// <summary>How long the child took over the model (all stages).</summary>
        public long Milliseconds { get; init; }

        /// <summary>Whether a session was created although our checks rejected the model (the session path skipped them).</summary>
        public bool SessionWithoutChecks { get; init; }

        /// <summary>Reads "stage=ok|stage=typed:Type|stage=untyped:Type:message" as the child wrote it.</summary>
        public static Outcome FromStages(string stages)
        {
            var parts = stages.Split('|').Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            var sessionWithoutChecks = parts["check"] != "ok" && parts["session"] == "ok";
            if (parts.Values.Any(v => v.StartsWith("untyped:", StringComparison.Ordinal)))
            {
                return new Outcome(Result.Untyped, stages) { SessionWithoutChecks = sessionWithoutChecks };
            }

            var result = parts.Values.All(v => v == "ok") ? Result.Valid : Result.Typed;
            return new Outcome(result, stages) { SessionWithoutChecks = sessionWithoutChecks };
        }
    }
}
