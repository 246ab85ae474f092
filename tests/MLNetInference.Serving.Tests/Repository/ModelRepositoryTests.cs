using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Serving.Repository;

namespace MLNetInference.Serving.Tests.Repository;

[TestClass]
public sealed class ModelRepositoryTests
{
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("mlnetinference-repository-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void Export_MiniLmOnnx_WritesTritonLayoutWithBatchlessDimsAndDefaults()
    {
        var repository = Path.Combine(_folder, "repo");

        var entry = ModelRepository.Export(ModelPaths.MiniLmModel, repository, "minilm");

        var configPath = Path.Combine(repository, "minilm", "config.pbtxt");
        var modelPath = Path.Combine(repository, "minilm", "1", "model.onnx");
        Assert.IsTrue(File.Exists(configPath));
        Assert.IsTrue(File.ReadAllBytes(ModelPaths.MiniLmModel).AsSpan().SequenceEqual(File.ReadAllBytes(modelPath)), "the model is copied unchanged");
        Assert.AreEqual(modelPath, entry.ModelPath);
        Assert.AreEqual(1, entry.Version);
        var config = TritonModelConfig.Load(configPath);
        Assert.AreEqual("minilm", config.Name);
        Assert.AreEqual("onnxruntime_onnx", config.Platform);
        Assert.AreEqual(32, config.MaxBatchSize);
        CollectionAssert.AreEquivalent(new[] { "input_ids", "attention_mask", "token_type_ids" }, config.Inputs.Select(i => i.Name).ToArray());
        foreach (var input in config.Inputs)
        {
            Assert.AreEqual(TritonDataType.Int64, input.DataType, input.Name);
            CollectionAssert.AreEqual(new long[] { -1 }, input.Dims.ToArray(), $"{input.Name}: [batch, sequence] without the batch");
        }

        var hidden = config.Outputs.Single(o => o.Name == "last_hidden_state");
        Assert.AreEqual(TritonDataType.Fp32, hidden.DataType);
        // The graph declares the hidden width symbolically (Addlast_hidden_state_dim_2); ONNX Runtime infers 384, and
        // Triton checks the configuration against what the runtime reports.
        CollectionAssert.AreEqual(new long[] { -1, 384 }, hidden.Dims.ToArray(), File.ReadAllText(configPath));
        Assert.AreEqual(2000, config.DynamicBatching!.MaxQueueDelayMicroseconds);
        CollectionAssert.AreEqual(new[] { 32 }, config.DynamicBatching.PreferredBatchSizes.ToArray());
        Assert.AreEqual(TritonInstanceKind.Cpu, config.InstanceGroups.Single().Kind);
        Assert.AreEqual(Environment.ProcessorCount, config.InstanceGroups[0].Count);
        Assert.AreEqual("1", config.Parameters["intra_op_thread_count"]);
        var warmup = config.Warmups.Single();
        Assert.AreEqual(1, warmup.BatchSize);
        CollectionAssert.AreEquivalent(config.Inputs.Select(i => i.Name).ToArray(), warmup.Inputs.Keys.ToArray());
        Assert.IsTrue(warmup.Inputs.Values.All(i => i.Data == TritonWarmupData.Zero && i.Dims.SequenceEqual([16L])));
    }

    [TestMethod]
    public void Export_TuneFolder_TakesBatchingWorkersAndThreadsFromTunedJson()
    {
        var tuneFolder = Path.Combine(_folder, "tuned");
        Directory.CreateDirectory(tuneFolder);
        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), Path.Combine(tuneFolder, "model.onnx"));
        new TunedModelDescription
        {
            Recipe = "int8-dynamic",
            MaxBatchSize = 8,
            MaxQueueDelayMs = 3.5,
            WorkersPerDevice = 2,
            IntraOpThreadsPerWorker = 3,
        }.Save(Path.Combine(tuneFolder, TunedModelDescription.FileName));

        var entry = ModelRepository.Export(tuneFolder, Path.Combine(_folder, "repo"), "mlp");

        var config = entry.Config;
        Assert.AreEqual(8, config.MaxBatchSize);
        Assert.AreEqual(3500, config.DynamicBatching!.MaxQueueDelayMicroseconds);
        CollectionAssert.AreEqual(new[] { 8 }, config.DynamicBatching.PreferredBatchSizes.ToArray());
        Assert.AreEqual(2, config.InstanceGroups.Single().Count);
        Assert.AreEqual(TritonInstanceKind.Cpu, config.InstanceGroups[0].Kind);
        Assert.AreEqual("3", config.Parameters["intra_op_thread_count"]);
        CollectionAssert.AreEqual(new long[] { 32 }, config.Inputs.Single().Dims.ToArray());
        CollectionAssert.AreEqual(new long[] { 4 }, config.Outputs.Single().Dims.ToArray());

        var options = new DynamicBatchingOptions();
        entry.ApplyTo(options);
        Assert.AreEqual(8, options.MaxBatchSize);
        Assert.AreEqual(TimeSpan.FromMilliseconds(3.5), options.MaxQueueDelay);
        Assert.AreEqual(2, options.WorkersPerDevice);
        Assert.AreEqual(3, options.IntraOpThreadsPerWorker);
        Assert.IsEmpty(options.Devices, "CPU only");
    }

    [TestMethod]
    public void Export_CudaTuneAndOverrides_WritesGpuGroupAndOptionsWin()
    {
        var tuneFolder = Path.Combine(_folder, "tuned");
        Directory.CreateDirectory(tuneFolder);
        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), Path.Combine(tuneFolder, "model.onnx"));
        new TunedModelDescription { ExecutionProvider = ExecutionProvider.Cuda, MaxBatchSize = 64 }.Save(Path.Combine(tuneFolder, TunedModelDescription.FileName));

        var entry = ModelRepository.Export(
            Path.Combine(tuneFolder, TunedModelDescription.FileName),
            Path.Combine(_folder, "repo"),
            "mlp",
            new ModelExportOptions { MaxBatchSize = 16, MaxQueueDelay = TimeSpan.FromMicroseconds(250), Version = 3 });

        Assert.AreEqual(16, entry.Config.MaxBatchSize);
        Assert.AreEqual(250, entry.Config.DynamicBatching!.MaxQueueDelayMicroseconds);
        Assert.AreEqual(TritonInstanceKind.Gpu, entry.Config.InstanceGroups.Single().Kind);
        Assert.AreEqual(1, entry.Config.InstanceGroups[0].Count);
        Assert.AreEqual(3, entry.Version);
        var options = new DynamicBatchingOptions();
        entry.ApplyTo(options);
        CollectionAssert.AreEqual(new[] { DeviceSpec.Cuda(0) }, options.Devices.ToArray());
    }

    [TestMethod]
    public void Export_ResNet18WithFixedBatch_ExportsWithoutBatchingAndSkipsInitializerInputs()
    {
        var entry = ModelRepository.Export(ModelPaths.ResNet18Model, Path.Combine(_folder, "repo"), "resnet18");

        var config = entry.Config;
        Assert.AreEqual(0, config.MaxBatchSize, "the batch is fixed at 1, so Triton cannot batch it");
        Assert.IsNull(config.DynamicBatching);
        var input = config.Inputs.Single();
        Assert.AreEqual("Input247", input.Name);
        CollectionAssert.AreEqual(new long[] { 1, 3, 224, 224 }, input.Dims.ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 3, 224, 224 }, config.Warmups.Single().Inputs["Input247"].Dims.ToArray());
        var options = new DynamicBatchingOptions();
        entry.ApplyTo(options);
        Assert.AreEqual(1, options.MaxBatchSize, "each request runs alone, as in Triton");

        Assert.ThrowsExactly<ArgumentException>(() => ModelRepository.Export(ModelPaths.ResNet18Model, Path.Combine(_folder, "repo2"), "resnet18", new ModelExportOptions { MaxBatchSize = 8 }));
    }

    [TestMethod]
    public void Export_ExistingModelFolder_RefusesUnlessOverwrite()
    {
        var repository = Path.Combine(_folder, "repo");
        var model = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        ModelRepository.Export(model, repository, "mlp");

        Assert.ThrowsExactly<IOException>(() => ModelRepository.Export(model, repository, "mlp"));
        var again = ModelRepository.Export(model, repository, "mlp", new ModelExportOptions { Overwrite = true, InstanceCount = 3 });

        Assert.AreEqual(3, again.Config.InstanceGroups[0].Count);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("..")]
    [DataRow("a/b")]
    public void Export_InvalidModelName_Throws(string name)
        => Assert.Throws<ArgumentException>(() => ModelRepository.Export(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), _folder, name));

    [TestMethod]
    public void Load_Repository_ServesLatestNumericVersionOfEveryModelAndSkipsHiddenFolders()
    {
        var repository = Path.Combine(_folder, "repo");
        var model = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        ModelRepository.Export(model, repository, "b-mlp", new ModelExportOptions { Version = 2 });
        ModelRepository.Export(model, repository, "a-mlp");
        Directory.CreateDirectory(Path.Combine(repository, "b-mlp", "10"));
        File.Copy(model, Path.Combine(repository, "b-mlp", "10", "model.onnx"));
        Directory.CreateDirectory(Path.Combine(repository, "b-mlp", "11"));
        Directory.CreateDirectory(Path.Combine(repository, "b-mlp", "latest"));
        Directory.CreateDirectory(Path.Combine(repository, ".git"));

        var entries = ModelRepository.Load(repository);

        CollectionAssert.AreEqual(new[] { "a-mlp", "b-mlp" }, entries.Select(e => e.Name).ToArray());
        Assert.AreEqual(1, entries[0].Version);
        Assert.AreEqual(10, entries[1].Version, "11 has no model file and 'latest' is not a number");
    }

    [TestMethod]
    public void LoadModel_ConfigNamingAnotherModel_ThrowsWithFileAndLine()
    {
        var repository = Path.Combine(_folder, "repo");
        var entry = ModelRepository.Export(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), repository, "mlp");
        File.WriteAllText(entry.ConfigPath, "# renamed by hand\nname: \"other\"\n");

        var ex = Assert.ThrowsExactly<ModelConfigException>(() => ModelRepository.LoadModel(repository, "mlp"));

        Assert.AreEqual(entry.ConfigPath, ex.FilePath);
        Assert.AreEqual(2, ex.Line);
        StringAssert.Contains(ex.Problem, "'other'");
    }

    [TestMethod]
    public void LoadModel_OtherPlatform_ThrowsNamingIt()
    {
        var repository = Path.Combine(_folder, "repo");
        var entry = ModelRepository.Export(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), repository, "mlp");
        File.WriteAllText(entry.ConfigPath, "name: \"mlp\"\nplatform: \"tensorrt_plan\"\n");

        var ex = Assert.ThrowsExactly<ModelConfigException>(() => ModelRepository.LoadModel(repository, "mlp"));

        Assert.AreEqual(2, ex.Line);
        StringAssert.Contains(ex.Problem, "tensorrt_plan");
    }

    [TestMethod]
    public void LoadModel_BadThreadParameter_ThrowsWithLine()
    {
        var repository = Path.Combine(_folder, "repo");
        var entry = ModelRepository.Export(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), repository, "mlp");
        File.WriteAllText(entry.ConfigPath, "name: \"mlp\"\nparameters {\n  key: \"intra_op_thread_count\"\n  value: { string_value: \"many\" }\n}\n");

        var ex = Assert.ThrowsExactly<ModelConfigException>(() => ModelRepository.LoadModel(repository, "mlp"));

        Assert.AreEqual(3, ex.Line);
    }

    [TestMethod]
    public void Load_FolderWithoutConfigOrVersion_ThrowsFileNotFound()
    {
        var repository = Path.Combine(_folder, "repo");
        Directory.CreateDirectory(Path.Combine(repository, "empty"));

        var noConfig = Assert.ThrowsExactly<FileNotFoundException>(() => ModelRepository.Load(repository));
        StringAssert.Contains(noConfig.Message, "config.pbtxt");

        File.WriteAllText(Path.Combine(repository, "empty", "config.pbtxt"), "name: \"empty\"\n");
        var noVersion = Assert.ThrowsExactly<FileNotFoundException>(() => ModelRepository.Load(repository));
        StringAssert.Contains(noVersion.Message, "version");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => ModelRepository.Load(Path.Combine(_folder, "missing")));
    }

    [TestMethod]
    public void ApplyTo_HandWrittenConfig_MapsPreferredSizesGroupsAndNoBatcher()
    {
        var config = TritonModelConfig.Parse("""
            name: "m"
            max_batch_size: 32
            input { name: "x" data_type: TYPE_FP32 dims: [ 4 ] }
            dynamic_batching { preferred_batch_size: [ 4, 16 ] max_queue_delay_microseconds: 1500 }
            instance_group [ { count: 2 kind: KIND_CPU }, { count: 3 kind: KIND_GPU gpus: [ 1, 2 ] } ]
            """);
        var entry = new ModelRepositoryEntry("m", _folder, config, 1, Path.Combine(_folder, "1", "model.onnx"));
        var options = new DynamicBatchingOptions();

        entry.ApplyTo(options);

        Assert.AreEqual(16, options.MaxBatchSize, "the largest preferred size");
        Assert.AreEqual(TimeSpan.FromMicroseconds(1500), options.MaxQueueDelay);
        Assert.AreEqual(3, options.WorkersPerDevice);
        CollectionAssert.AreEqual(new[] { DeviceSpec.Cpu, DeviceSpec.Cuda(1), DeviceSpec.Cuda(2) }, options.Devices.ToArray());

        config.DynamicBatching = null;
        entry.ApplyTo(options);
        Assert.AreEqual(1, options.MaxBatchSize, "without dynamic_batching each request runs alone");
        Assert.AreEqual(TimeSpan.Zero, options.MaxQueueDelay);
    }
}
