using MLNetInference.Models;
using MLNetInference.Serving;
using MLNetInference.Serving.Repository;
using MLNetInference.Tests.Shared;
using Spectre.Console;

namespace MLNetInference.Cli.Tests;

/// <summary><c>mlnet-infer export</c>, from argument parsing to the files it writes and reads back.</summary>
[TestClass]
public sealed class ExportCommandTests
{
    private string _folder = null!;
    private StringWriter _output = null!;
    private IAnsiConsole _console = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("mlnetinference-cli-export-").FullName;
        _output = new StringWriter();
        _console = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_output), ColorSystem = ColorSystemSupport.NoColors });
        AnsiConsole.Profile.Width = 400;
    }

    [TestCleanup]
    public void Cleanup()
    {
        AnsiConsole.Console = _console;
        Directory.Delete(_folder, recursive: true);
    }

    [TestMethod]
    public void Export_TuneFolder_WritesRepositoryWithTheTunersBatching()
    {
        var tuneFolder = Path.Combine(_folder, "tuned");
        Directory.CreateDirectory(tuneFolder);
        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), Path.Combine(tuneFolder, "model.onnx"));
        new TunedModelDescription { MaxBatchSize = 12, MaxQueueDelayMs = 4, WorkersPerDevice = 2, IntraOpThreadsPerWorker = 1 }
            .Save(Path.Combine(tuneFolder, TunedModelDescription.FileName));
        var repository = Path.Combine(_folder, "repo");

        var exit = Run("export", tuneFolder, "-o", repository, "--name", "mlp");

        Assert.AreEqual(0, exit, _output.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(repository, "mlp", "1", "model.onnx")));
        var entry = ModelRepository.LoadModel(repository, "mlp");
        Assert.AreEqual(12, entry.Config.MaxBatchSize);
        Assert.AreEqual(4000, entry.Config.DynamicBatching!.MaxQueueDelayMicroseconds);
        Assert.AreEqual(2, entry.Config.InstanceGroups.Single().Count);
        StringAssert.Contains(_output.ToString(), "tritonserver --model-repository");
    }

    [TestMethod]
    public void Export_MiniLmWithOptions_OptionsReachTheConfig()
    {
        var repository = Path.Combine(_folder, "repo");

        var exit = Run("export", ModelPaths.MiniLmModel, "-o", repository, "-n", "minilm", "--max-batch-size", "8", "--max-queue-delay-us", "500", "--instances", "3", "--kind", "gpu", "--version", "2");

        Assert.AreEqual(0, exit, _output.ToString());
        var config = TritonModelConfig.Load(Path.Combine(repository, "minilm"));
        Assert.AreEqual(8, config.MaxBatchSize);
        Assert.AreEqual(500, config.DynamicBatching!.MaxQueueDelayMicroseconds);
        Assert.AreEqual(3, config.InstanceGroups.Single().Count);
        Assert.AreEqual(TritonInstanceKind.Gpu, config.InstanceGroups[0].Kind);
        Assert.IsTrue(File.Exists(Path.Combine(repository, "minilm", "2", "model.onnx")));
    }

    [TestMethod]
    public void Export_ExistingModel_FailsWithoutForceAndReplacesWithIt()
    {
        var repository = Path.Combine(_folder, "repo");
        var model = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        Assert.AreEqual(0, Run("export", model, "-o", repository, "--name", "mlp"), _output.ToString());

        Assert.AreEqual(1, Run("export", model, "-o", repository, "--name", "mlp", "--max-batch-size", "4"));
        StringAssert.Contains(_output.ToString(), "--force");
        Assert.AreEqual(0, Run("export", model, "-o", repository, "--name", "mlp", "--max-batch-size", "4", "--force"), _output.ToString());
        Assert.AreEqual(4, TritonModelConfig.Load(Path.Combine(repository, "mlp")).MaxBatchSize);
    }

    [TestMethod]
    [DataRow("missing.onnx", "--kind", "cpu", "does not exist")]
    [DataRow("mlp", "--kind", "tpu", "unknown instance kind")]
    [DataRow("mlp", "--instances", "0", "instance count")]
    public void Export_BadArguments_ExitTwoWithTheReason(string input, string option, string value, string reason)
    {
        var source = input == "mlp" ? FixtureModels.EnsureFile(FixtureModels.SmallMlpName) : Path.Combine(_folder, input);

        var exit = Run("export", source, "-o", Path.Combine(_folder, "repo"), "--name", "m", option, value);

        Assert.AreEqual(2, exit, _output.ToString());
        StringAssert.Contains(_output.ToString(), reason);
        Assert.IsFalse(Directory.Exists(Path.Combine(_folder, "repo", "m")), "nothing is written");
    }

    [TestMethod]
    public async Task MlnetInferExport_AsAProcess_WritesTheRepository()
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "mlnet-infer.dll");
        Assert.IsTrue(File.Exists(tool), $"the tool is built next to the tests: {tool}");
        var repository = Path.Combine(_folder, "repo");

        var run = await ChildProcess.DotnetAsync(_folder, ["exec", tool, "export", FixtureModels.EnsureFile(FixtureModels.SmallMlpName), "-o", repository, "--name", "mlp"], TestContext.CancellationToken, TimeSpan.FromMinutes(2));

        run.EnsureSuccess();
        var entry = ModelRepository.LoadModel(repository, "mlp");
        Assert.AreEqual(32, entry.Config.MaxBatchSize);
        CollectionAssert.AreEqual(new long[] { 32 }, entry.Config.Inputs.Single().Dims.ToArray());
    }

    private int Run(params string[] args)
    {
        _output.GetStringBuilder().Clear();
        return CliApp.Create().Parse(args).Invoke();
    }
}
