namespace MLNetInference.Core.Tests.Architecture;

/// <summary>The layer rule of docs/architecture.md holds for the projects under src/, and the checker catches each breach.</summary>
[TestClass]
public sealed class LayerRulesTests
{
    private static readonly string[] ShippedProjects =
    [
        "MLNetInference.Core", "MLNetInference.Optimizers", "MLNetInference.Pipeline", "MLNetInference.Serving", "MLNetInference.Tuning", "MLNetInference.Cli",
    ];

    [TestMethod]
    public void ShippedProjects_FollowTheLayerRule()
    {
        var projects = LayerRules.ReadShippedProjects(LayerRules.FindRepoRoot());

        // The check must have something to check: every shipped project is found, with its references and sources.
        CollectionAssert.IsSubsetOf(ShippedProjects, projects.Select(p => p.Name).ToArray(), string.Join(", ", projects.Select(p => p.Path)));
        Assert.IsTrue(projects.Single(p => p.Name == "MLNetInference.Tuning").References.Any(), "Tuning's references were not read");
        Assert.IsTrue(projects.All(p => p.Namespaces.Count > 0), "a project's sources were not read");
        var violations = LayerRules.Check(projects);
        Assert.IsEmpty(violations, string.Join(Environment.NewLine, violations));
    }

    [TestMethod]
    public void ArchitectureDoc_DrawsTheLayersTheTestChecks()
    {
        var doc = File.ReadAllText(Path.Combine(LayerRules.FindRepoRoot(), "docs", "architecture.md"));

        CollectionAssert.AreEqual(LayerRules.Layers.ToArray(), LayerRules.ReadLayerOrder(doc).ToArray(), "docs/architecture.md and LayerRules.Layers disagree on the layers");
    }

    [TestMethod]
    public void SrcFolders_AreLayersOrSamples()
    {
        var src = Path.Combine(LayerRules.FindRepoRoot(), "src");

        var stray = Directory.GetDirectories(src).Select(Path.GetFileName).Where(f => f != LayerRules.SamplesFolder && !LayerRules.Layers.Contains(f!)).ToArray();

        Assert.IsEmpty(stray, $"src/ holds folders that are no layer: {string.Join(", ", stray)}");
    }

    [TestMethod]
    public void Check_ConformingProjects_FindsNothing()
    {
        var projects = new[]
        {
            Project("Core"),
            Project("Optimizers", references: ["Core"]),
            Project("Pipeline", references: ["Core", "Optimizers"]),
            Project("Tuning", references: ["Optimizers", "Serving"], friends: ["MLNetInference.Tuning.Tests", "MLNetInference.Benchmarks"]),
            Project("Serving", references: ["Pipeline"], namespaces: ["MLNetInference.Serving.Internal", "Microsoft.Extensions.DependencyInjection"]),
        };

        Assert.IsEmpty(LayerRules.Check(projects));
    }

    [TestMethod]
    public void Check_ReferenceToALayerAbove_IsAViolation()
    {
        var violations = LayerRules.Check([Project("Optimizers", references: ["Core", "Pipeline"])]);

        Assert.HasCount(1, violations);
        StringAssert.Contains(violations[0], "MLNetInference.Optimizers (Optimizers) references MLNetInference.Pipeline (Pipeline), a layer above its own");
    }

    [TestMethod]
    public void Check_ReferenceToSamplesModelsOrTests_IsAViolation()
    {
        var project = Project("Serving") with
        {
            References = ["src/Samples/Quickstart/Quickstart.csproj", "models/MLNetInference.Models/MLNetInference.Models.csproj", "tests/MLNetInference.Serving.Tests/MLNetInference.Serving.Tests.csproj"],
        };

        var violations = LayerRules.Check([project]);

        Assert.HasCount(3, violations);
        Assert.IsTrue(violations.All(v => v.Contains("which is not shipped", StringComparison.Ordinal)), string.Join(Environment.NewLine, violations));
    }

    [TestMethod]
    public void Check_InternalsVisibleToAnotherPackage_IsAViolation()
    {
        var violations = LayerRules.Check([Project("Pipeline", friends: ["MLNetInference.Pipeline.Tests", "MLNetInference.Serving", "MLNetInference.Serving.Tests"])]);

        Assert.HasCount(2, violations);
        StringAssert.Contains(violations[0], "'MLNetInference.Serving'");
        StringAssert.Contains(violations[1], "'MLNetInference.Serving.Tests'");
    }

    [TestMethod]
    public void Check_RootNamespaceOrNamespaceNotTheProjectName_IsAViolation()
    {
        var project = Project("Serving", namespaces: ["MLNetInference.Hosting", "MLNetInference.ServingExtras", "Microsoft.ML.Data"]) with { RootNamespace = "MLNetInference.Hosting" };

        var violations = LayerRules.Check([project]);

        Assert.HasCount(4, violations, string.Join(Environment.NewLine, violations));
        StringAssert.Contains(violations[0], "RootNamespace is 'MLNetInference.Hosting'");
        StringAssert.Contains(violations[1], "'MLNetInference.Hosting'");
        StringAssert.Contains(violations[2], "'MLNetInference.ServingExtras'");
        StringAssert.Contains(violations[3], "'Microsoft.ML.Data'");
    }

    [TestMethod]
    public void Check_ProjectOutsideAnyLayer_IsAViolation()
    {
        var project = Project("Core") with { Name = "MLNetInference.Extras", Path = "src/Extras/MLNetInference.Extras/MLNetInference.Extras.csproj", RootNamespace = "MLNetInference.Extras" };

        var violations = LayerRules.Check([project]);

        Assert.HasCount(1, violations);
        StringAssert.Contains(violations[0], "which is no layer");
    }

    [TestMethod]
    public void ReadProject_ReadsReferencesFriendsAndNamespaces()
    {
        const string Xml = """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <RootNamespace>MLNetInference.Serving</RootNamespace>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="..\..\Tuning\MLNetInference.Tuning\MLNetInference.Tuning.csproj" />
                <ProjectReference Include="$(RepoRoot)src/Core/MLNetInference.Core/MLNetInference.Core.csproj" />
                <InternalsVisibleTo Include="MLNetInference.Serving.Tests" />
              </ItemGroup>
            </Project>
            """;
        const string Source = """
            using System.Runtime.CompilerServices;
            [assembly: InternalsVisibleTo("MLNetInference.Tuning, PublicKey=00")]
            namespace MLNetInference.Serving.Internal
            {
            }
            """;
        var root = Path.Combine(Path.GetTempPath(), "repo");

        var project = LayerRules.ReadProject(root, "src/Serving/MLNetInference.Serving/MLNetInference.Serving.csproj", Xml, [("Friends.cs", Source)]);

        Assert.AreEqual("MLNetInference.Serving", project.Name);
        Assert.AreEqual("MLNetInference.Serving", project.RootNamespace);
        CollectionAssert.AreEqual(new[] { "src/Tuning/MLNetInference.Tuning/MLNetInference.Tuning.csproj", "src/Core/MLNetInference.Core/MLNetInference.Core.csproj" }, project.References.ToArray());
        CollectionAssert.AreEqual(new[] { "MLNetInference.Serving.Tests", "MLNetInference.Tuning" }, project.InternalsVisibleTo.ToArray());
        CollectionAssert.AreEqual(new[] { "MLNetInference.Serving.Internal" }, project.Namespaces.Select(n => n.Namespace).ToArray());
        var violations = LayerRules.Check([project]);
        Assert.HasCount(2, violations, string.Join(Environment.NewLine, violations));
        StringAssert.Contains(violations[0], "a layer above its own");
        StringAssert.Contains(violations[1], "InternalsVisibleTo to 'MLNetInference.Tuning'");
    }

    [TestMethod]
    public void ReadLayerOrder_ReadsTheFirstDrawnOrder()
    {
        const string Doc = "# Layers\n\n```\nCore  <  Optimizers  <  Pipeline\n```\nLater: A < B\n";

        CollectionAssert.AreEqual(new[] { "Core", "Optimizers", "Pipeline" }, LayerRules.ReadLayerOrder(Doc).ToArray());
    }

    /// <summary>A project <c>MLNetInference.&lt;layer&gt;</c> in <c>src/&lt;layer&gt;</c> referencing <c>MLNetInference.&lt;r&gt;</c> in <c>src/&lt;r&gt;</c>.</summary>
    private static ProjectFacts Project(string layer, string[]? references = null, string[]? friends = null, string[]? namespaces = null)
    {
        var name = $"MLNetInference.{layer}";
        return new ProjectFacts(
            name,
            $"src/{layer}/{name}/{name}.csproj",
            [.. (references ?? []).Select(r => $"src/{r}/MLNetInference.{r}/MLNetInference.{r}.csproj")],
            friends ?? [$"{name}.Tests"],
            name,
            [.. (namespaces ?? [name]).Select(ns => ($"src/{layer}/{name}/Code.cs", ns))]);
    }
}
