using MLNetInference.Tests.Shared;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Consumer.Tests.Internal;

namespace MLNetInference.Consumer.Tests;

/// <summary>The mlnet-infer tool, installed from the feed into a tool path as the README says, optimizing MiniLM.</summary>
[TestClass]
public sealed class ToolTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task MlnetInferOptimize_InstalledFromFeed_WritesSmallerInt8ModelThatLoads()
    {
        var cancellationToken = TestContext.CancellationToken;
        var feed = await ConsumerFeed.GetAsync(cancellationToken);
        var folder = Path.Combine(feed.WorkDirectory, "tool");
        Directory.CreateDirectory(folder);
        await ConsumerApp.WriteNuGetConfigAsync(folder, feed.FeedDirectory, cancellationToken);
        var toolPath = Path.Combine(folder, "bin");
        (await ChildProcess.DotnetAsync(
            folder,
            ["tool", "install", "MLNetInference.Cli", "--tool-path", toolPath, "--version", feed.Version, "--add-source", feed.FeedDirectory],
            cancellationToken)).EnsureSuccess();

        var model = MiniLmFiles.ModelPath(feed.RepositoryRoot, feed.WorkDirectory);
        var optimized = Path.Combine(folder, "out.onnx");
        var command = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "mlnet-infer.exe" : "mlnet-infer");
        var run = await ChildProcess.RunAsync(command, folder, ["optimize", model, "-o", optimized, "--recipe", "int8-dynamic"], cancellationToken);

        run.EnsureSuccess();
        Assert.IsTrue(File.Exists(optimized), run.Output);
        // The MatMul weights become INT8; the word-embedding table (about half of MiniLM's bytes) stays float.
        Assert.IsLessThan(new FileInfo(model).Length * 3 / 4, new FileInfo(optimized).Length, "INT8 weights should make the model smaller.");
        using var session = new InferenceSession(optimized);
        CollectionAssert.AreEquivalent(new[] { "input_ids", "attention_mask", "token_type_ids" }, session.InputMetadata.Keys.ToArray());
        Assert.IsTrue(session.OutputMetadata.ContainsKey("last_hidden_state"), "The optimized model must keep MiniLM's output.");
    }
}
