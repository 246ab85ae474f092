using MLNetInference.Consumer.Tests.Internal;

namespace MLNetInference.Consumer.Tests;

/// <summary><c>dotnet pack</c> of the solution: one package per shipped library and the tool, each with what a package needs.</summary>
[TestClass]
public sealed class PackTests
{
    private static readonly string[] s_shipped =
    [
        "MLNetInference.Core",
        "MLNetInference.Optimizers",
        "MLNetInference.Pipeline",
        "MLNetInference.Serving",
        "MLNetInference.Serving.OpenInference",
        "MLNetInference.Tuning",
        "MLNetInference.Cli",
    ];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Pack_Solution_WritesOnePackagePerShippedProjectWithSymbols()
    {
        var feed = await ConsumerFeed.GetAsync(TestContext.CancellationToken);

        CollectionAssert.AreEquivalent(s_shipped, feed.Packages.Keys.ToArray(), "Models, samples and tests must not pack; every shipped project must.");
        foreach (var id in s_shipped)
        {
            Assert.IsTrue(File.Exists(Path.Combine(feed.FeedDirectory, $"{id}.{feed.Version}.snupkg")), $"{id} has no symbol package.");
        }
    }

    [TestMethod]
    public async Task Pack_EachPackage_HasMetadataAndExactVersionsOfOurPackages()
    {
        var feed = await ConsumerFeed.GetAsync(TestContext.CancellationToken);

        foreach (var package in feed.Packages.Values)
        {
            var license = package.Nuspec.Descendants().Single(e => e.Name.LocalName == "license");
            Assert.AreEqual("expression", (string?)license.Attribute("type"), package.Id);
            Assert.AreEqual("MIT", license.Value, package.Id);
            Assert.AreEqual("README.md", package.Metadata("readme"), package.Id);
            CollectionAssert.Contains(package.Entries.ToList(), "README.md", package.Id);
            CollectionAssert.Contains(package.Entries.ToList(), "LICENSE", package.Id);
            Assert.IsFalse(string.IsNullOrWhiteSpace(package.Metadata("description")), package.Id);
            Assert.IsFalse(string.IsNullOrWhiteSpace(package.Metadata("authors")), package.Id);
            Assert.IsFalse(string.IsNullOrWhiteSpace(package.Metadata("tags")), package.Id);
            Assert.StartsWith("https://github.com/", package.Metadata("projectUrl") ?? string.Empty, package.Id);
            var repository = package.Nuspec.Descendants().Single(e => e.Name.LocalName == "repository");
            Assert.StartsWith("https://github.com/", (string?)repository.Attribute("url") ?? string.Empty, package.Id);

            foreach (var (id, version) in package.Dependencies.Where(d => d.Id.StartsWith("MLNetInference.", StringComparison.Ordinal)))
            {
                Assert.AreEqual($"[{feed.Version}]", version, $"{package.Id} must depend on exactly the {id} it was built with.");
            }
        }
    }

    [TestMethod]
    public async Task Pack_Cli_IsADotnetToolWithoutMobileRuntimes()
    {
        var feed = await ConsumerFeed.GetAsync(TestContext.CancellationToken);
        var tool = feed.Packages["MLNetInference.Cli"];

        Assert.AreEqual("DotnetTool", (string?)tool.Nuspec.Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name"));
        Assert.IsTrue(tool.Entries.Any(e => e.EndsWith("/any/mlnet-infer.dll", StringComparison.Ordinal)), "The tool's entry assembly is missing.");
        Assert.IsTrue(tool.Entries.Any(e => e.Contains("/runtimes/linux-x64/native/", StringComparison.Ordinal)), "The tool needs ONNX Runtime's desktop natives.");
        var mobile = tool.Entries.Where(e => e.Contains("/runtimes/ios", StringComparison.Ordinal) || e.Contains("/runtimes/android", StringComparison.Ordinal)).ToList();
        Assert.IsEmpty(mobile, string.Join(Environment.NewLine, mobile));
    }
}
