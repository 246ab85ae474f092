using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Serving.Repository;

namespace MLNetInference.Serving.Tests.Repository;

/// <summary>The pool serves an exported repository: the real MiniLM session, with the configuration's batching.</summary>
[TestClass]
public sealed class ModelRepositoryPoolTests
{
    private string _folder = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("mlnetinference-repository-pool-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public async Task FromModelRepository_ExportedMiniLm_ServesRequestsLikeTheModelItself()
    {
        var repository = Path.Combine(_folder, "repo");
        ModelRepository.Export(ModelPaths.MiniLmModel, repository, "minilm", new ModelExportOptions { InstanceCount = 1, MaxQueueDelay = TimeSpan.FromMilliseconds(20) });
        ModelRepository.Export(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), repository, "mlp");
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<Tokens, Hidden>().FromModelRepository("minilm", repository);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<Tokens, Hidden>>();
        // "[CLS] hello world [SEP]", "[CLS] the cat sat [SEP]" and a longer one, in MiniLM's vocabulary.
        long[][] ids = [[101, 7592, 2088, 102], [101, 1996, 4937, 2938, 102], [101, 1037, 2146, 6251, 2055, 1037, 4937, 2006, 1037, 13523, 102]];
        var requests = ids.Select(i => new Tokens { input_ids = i, attention_mask = [.. i.Select(_ => 1L)], token_type_ids = new long[i.Length] }).ToArray();

        var results = await Task.WhenAll(requests.Select(r => pool.PredictAsync("minilm", r, TestContext.CancellationToken)));

        Assert.AreEqual(ModelStatus.Loaded, pool.GetStatus("minilm"));
        using var model = new OnnxSessionFactory().Create(ModelPaths.MiniLmModel);
        var runner = new BatchRunner(model);
        for (var r = 0; r < requests.Length; r++)
        {
            using var expected = runner.Run([new RowTensor(requests[r].input_ids), new RowTensor(requests[r].attention_mask), new RowTensor(requests[r].token_type_ids)]);
            var want = expected.GetRowArray<float>(runner.IndexOfOutput("last_hidden_state"), 0);
            Assert.HasCount(ids[r].Length * 384, results[r].last_hidden_state, $"row {r}");
            var maxDiff = want.Zip(results[r].last_hidden_state, (a, b) => Math.Abs(a - b)).Max();
            Assert.IsLessThan(1e-3f, maxDiff, $"row {r}");
        }
    }

    [TestMethod]
    public async Task FromModelRepository_WholeRepository_ServesEveryModelWithItsConfigBatching()
    {
        var repository = Path.Combine(_folder, "repo");
        var model = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        ModelRepository.Export(model, repository, "mlp-a", new ModelExportOptions { MaxBatchSize = 4, InstanceCount = 1 });
        ModelRepository.Export(model, repository, "mlp-b", new ModelExportOptions { MaxBatchSize = 0, InstanceCount = 1 });
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromModelRepository(repository);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var input = new MlpInput { features = [.. Enumerable.Range(0, 32).Select(i => i / 32f)] };

        var a = await pool.PredictAsync("mlp-a", input, TestContext.CancellationToken);
        var b = await pool.PredictAsync("mlp-b", input, TestContext.CancellationToken);

        CollectionAssert.AreEqual(a.scores, b.scores);
        Assert.HasCount(4, a.scores);
        var registrations = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<MLNetInference.Serving.Internal.PoolRegistrations<MlpInput, MlpOutput>>>().Value;
        var batchingA = registrations.BatchingFor("mlp-a");
        Assert.AreEqual(4, batchingA.MaxBatchSize);
        Assert.AreEqual(1, batchingA.WorkersPerDevice);
        Assert.AreEqual(1, registrations.BatchingFor("mlp-b").MaxBatchSize, "max_batch_size 0: each request alone");
    }

    [TestMethod]
    public void FromModelRepository_MalformedConfig_FailsAtRegistrationNamingFileAndLine()
    {
        var repository = Path.Combine(_folder, "repo");
        var entry = ModelRepository.Export(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), repository, "mlp");
        File.WriteAllText(entry.ConfigPath, "name: \"mlp\"\nmax_batch_size: 4\ndynamic_batching {\n  max_queue_delay: 100\n}\n");
        var services = new ServiceCollection();

        var ex = Assert.ThrowsExactly<ModelConfigException>(() => services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromModelRepository(repository));

        Assert.AreEqual(4, ex.Line);
        StringAssert.Contains(ex.Message, entry.ConfigPath);
    }

#pragma warning disable SA1300, IDE1006 // Members are named after the model's tensors.
    public sealed class Tokens
    {
        public long[] input_ids { get; set; } = [];

        public long[] attention_mask { get; set; } = [];

        public long[] token_type_ids { get; set; } = [];
    }

    public sealed class Hidden
    {
        public float[] last_hidden_state { get; set; } = [];
    }

    public sealed class MlpInput
    {
        public float[] features { get; set; } = [];
    }

    public sealed class MlpOutput
    {
        public float[] scores { get; set; } = [];
    }
#pragma warning restore SA1300, IDE1006
}
