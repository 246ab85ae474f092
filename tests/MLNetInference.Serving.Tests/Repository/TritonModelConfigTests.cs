using MLNetInference.Serving.Repository;

namespace MLNetInference.Serving.Tests.Repository;

[TestClass]
public sealed class TritonModelConfigTests
{
    [TestMethod]
    public void ToPbtxt_EveryField_ReadsBackEqual()
    {
        var config = FullConfig();

        var text = config.ToPbtxt();
        var read = TritonModelConfig.Parse(text);

        AssertEqual(config, read);
        Assert.AreEqual(text, read.ToPbtxt(), "writing what was read gives the same text");
    }

    [TestMethod]
    public void Parse_HandWrittenTritonConfig_ReadsCommentsBothListStylesAndEnums()
    {
        const string Text = """
            # A configuration as Triton users write it.
            name: "bert"   # trailing comment
            backend: "onnxruntime"
            max_batch_size: 8
            input {
              name: "input_ids"
              data_type: TYPE_INT64
              dims: -1
              allow_ragged_batch: true
            }
            input {
              name: "attention_mask"
              data_type: TYPE_INT64
              dims: [ -1 ]
            }
            input [
              {
                name: 'token_type_ids', data_type: TYPE_INT64, dims: [-1]
              }
            ]
            output [
              {
                name: "last_hidden_state"
                data_type: TYPE_FP32
                dims: [ -1, 384 ]
              }
            ]
            dynamic_batching {
              preferred_batch_size: [ 4, 8 ]
              max_queue_delay_microseconds: 100
              priority_levels: 2   # known to Triton, not kept here
            }
            instance_group [ { count: 2, kind: KIND_GPU, gpus: [ 0, 1 ] } ]
            version_policy: { latest { num_versions: 2 } }
            optimization { execution_accelerators { gpu_execution_accelerator : [ { name : "tensorrt" } ] } }
            parameters < key: "intra_op_thread_count" value: < string_value: "2" > >
            model_warmup {
              name: "sample"
              batch_size: 2
              inputs { key: "input_ids" value: { data_type: TYPE_INT64 dims: 7 random_data: true } }
              inputs { key: "attention_mask" value: { data_type: TYPE_INT64 dims: [ 7 ] input_data_file: "mask.bin" } }
            }
            """;

        var config = TritonModelConfig.Parse(Text);

        Assert.AreEqual("bert", config.Name);
        Assert.IsNull(config.Platform);
        Assert.AreEqual("onnxruntime", config.Backend);
        Assert.AreEqual(8, config.MaxBatchSize);
        CollectionAssert.AreEqual(new[] { "input_ids", "attention_mask", "token_type_ids" }, config.Inputs.Select(i => i.Name).ToArray());
        Assert.IsTrue(config.Inputs.All(i => i.DataType == TritonDataType.Int64 && i.Dims.SequenceEqual([-1L])));
        Assert.IsTrue(config.Inputs[0].AllowRaggedBatch);
        Assert.IsFalse(config.Inputs[1].AllowRaggedBatch);
        CollectionAssert.AreEqual(new long[] { -1, 384 }, config.Outputs[0].Dims.ToArray());
        Assert.AreEqual(TritonDataType.Fp32, config.Outputs[0].DataType);
        CollectionAssert.AreEqual(new[] { 4, 8 }, config.DynamicBatching!.PreferredBatchSizes.ToArray());
        Assert.AreEqual(100, config.DynamicBatching.MaxQueueDelayMicroseconds);
        Assert.HasCount(1, config.InstanceGroups);
        Assert.AreEqual(TritonInstanceKind.Gpu, config.InstanceGroups[0].Kind);
        Assert.AreEqual(2, config.InstanceGroups[0].Count);
        CollectionAssert.AreEqual(new[] { 0, 1 }, config.InstanceGroups[0].Gpus.ToArray());
        Assert.AreEqual("2", config.Parameters["intra_op_thread_count"]);
        var warmup = config.Warmups.Single();
        Assert.AreEqual(2, warmup.BatchSize);
        Assert.AreEqual(TritonWarmupData.Random, warmup.Inputs["input_ids"].Data);
        CollectionAssert.AreEqual(new long[] { 7 }, warmup.Inputs["input_ids"].Dims.ToArray());
        Assert.AreEqual(TritonWarmupData.File, warmup.Inputs["attention_mask"].Data);
        Assert.AreEqual("mask.bin", warmup.Inputs["attention_mask"].InputDataFile);
    }

    [TestMethod]
    public void Parse_StringEscapesAndNumericEnums_AreDecoded()
    {
        var config = TritonModelConfig.Parse("name: \"a\\\"b\\\\c\\x41\\101\" \"-tail\"\nmax_batch_size: 0x10\ninput { name: \"x\" data_type: 11 dims: [ 3 ] }\ninstance_group { kind: 2 }");

        Assert.AreEqual("a\"b\\cAA-tail", config.Name);
        Assert.AreEqual(16, config.MaxBatchSize);
        Assert.AreEqual(TritonDataType.Fp32, config.Inputs[0].DataType);
        Assert.AreEqual(TritonInstanceKind.Cpu, config.InstanceGroups[0].Kind);
        Assert.AreEqual(1, config.InstanceGroups[0].Count, "Triton's default count");
    }

    [TestMethod]
    public void ToPbtxt_NonAsciiAndQuotesInName_RoundTrip()
    {
        var config = new TritonModelConfig { Name = "mödel \"quoted\"\ttab" };

        Assert.AreEqual(config.Name, TritonModelConfig.Parse(config.ToPbtxt()).Name);
    }

    [TestMethod]
    [DataRow("name: \"m\"\nmax_batch_size: 4\ninput {\n  name: \"x\"\n  data_typo: TYPE_FP32\n}\n", 5, "data_typo")]
    [DataRow("name: \"m\"\n\nmax_batch_size: \"four\"\n", 3, "must be an integer")]
    [DataRow("name: \"m\"\ninput {\n  name: \"x\"\n  data_type: TYPE_FLOAT\n}\n", 4, "TYPE_FP32")]
    [DataRow("name: \"m\"\ninput {\n  name: \"x\"\n", 2, "not closed")]
    [DataRow("name: \"m\"\nmax_batch_size: 0\ninput { name: \"x\" data_type: TYPE_FP32 dims: [ 4 ] }\n\ndynamic_batching {\n}\n", 5, "max_batch_size")]
    [DataRow("name: \"m\"\nname: \"n\"\n", 2, "more than once")]
    [DataRow("name: \"m\"\ninput { name: \"x\" data_type: TYPE_FP32 dims: [ 4, ] }\n", 2, "expected a value")]
    [DataRow("name: \"m\"\ninput { name: \"x\" data_type: TYPE_FP32 dims: [ -2 ] }\n", 2, "-2")]
    [DataRow("name: \"m\"\nmax_batch_size: 4\ndynamic_batching { preferred_batch_size: [ 8 ] }\n", 3, "preferred_batch_size")]
    [DataRow("name: \"m\nmax_batch_size: 4\n", 1, "not closed")]
    [DataRow("name: \"m\"\ninstance_group [ { count: 1 kind: KIND_CPU gpus: [ 0 ] } ]\n", 2, "gpus")]
    [DataRow("name: \"m\"\n@\n", 2, "unexpected character")]
    public void Parse_MalformedConfig_ThrowsTypedErrorWithLine(string text, int line, string mentions)
    {
        var ex = Assert.ThrowsExactly<ModelConfigException>(() => TritonModelConfig.Parse(text, "models/m/config.pbtxt"));

        Assert.AreEqual(line, ex.Line, ex.Message);
        Assert.AreEqual("models/m/config.pbtxt", ex.FilePath);
        StringAssert.StartsWith(ex.Message, $"models/m/config.pbtxt({line}): ");
        StringAssert.Contains(ex.Problem, mentions);
    }

    [TestMethod]
    public void Parse_DeeplyNestedHostileInput_ThrowsInsteadOfOverflowing()
    {
        var text = "optimization " + string.Concat(Enumerable.Repeat("{ a ", 10_000));

        var ex = Assert.ThrowsExactly<ModelConfigException>(() => TritonModelConfig.Parse(text));

        StringAssert.Contains(ex.Problem, "nested");
    }

    [TestMethod]
    public void Load_File_NamesTheFileInErrors()
    {
        var folder = Directory.CreateTempSubdirectory("mlnetinference-config-").FullName;
        try
        {
            var path = Path.Combine(folder, TritonModelConfig.FileName);
            File.WriteAllText(path, "name: \"m\"\nmax_batch_size: -3\n");

            var ex = Assert.ThrowsExactly<ModelConfigException>(() => TritonModelConfig.Load(folder));

            Assert.AreEqual(path, ex.FilePath);
            StringAssert.Contains(ex.Message, path);
            Assert.ThrowsExactly<FileNotFoundException>(() => TritonModelConfig.Load(Path.Combine(folder, "missing")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Save_InvalidConfig_RefusesToWrite()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlnetinference-{Guid.NewGuid():N}.pbtxt");
        var config = new TritonModelConfig { Name = "m", MaxBatchSize = 0, DynamicBatching = new TritonDynamicBatching() };

        Assert.ThrowsExactly<ModelConfigException>(() => config.Save(path));
        Assert.IsFalse(File.Exists(path));
    }

    internal static TritonModelConfig FullConfig()
    {
        var config = new TritonModelConfig { Name = "minilm", MaxBatchSize = 16, DefaultModelFileName = "model.onnx" };
        var ids = new TritonTensorConfig { Name = "input_ids", DataType = TritonDataType.Int64, AllowRaggedBatch = true };
        ids.Dims.Add(-1);
        var mask = new TritonTensorConfig { Name = "attention_mask", DataType = TritonDataType.Int64, Optional = true };
        mask.Dims.Add(-1);
        var scalar = new TritonTensorConfig { Name = "scale", DataType = TritonDataType.Fp16, Reshape = [] };
        scalar.Dims.Add(1);
        config.Inputs.Add(ids);
        config.Inputs.Add(mask);
        config.Inputs.Add(scalar);
        var hidden = new TritonTensorConfig { Name = "last_hidden_state", DataType = TritonDataType.Fp32 };
        hidden.Dims.Add(-1);
        hidden.Dims.Add(384);
        config.Outputs.Add(hidden);
        config.DynamicBatching = new TritonDynamicBatching { MaxQueueDelayMicroseconds = 2500, PreserveOrdering = true };
        config.DynamicBatching.PreferredBatchSizes.Add(8);
        config.DynamicBatching.PreferredBatchSizes.Add(16);
        config.InstanceGroups.Add(new TritonInstanceGroup { Count = 2, Kind = TritonInstanceKind.Cpu, Name = "cpus" });
        var gpus = new TritonInstanceGroup { Count = 1, Kind = TritonInstanceKind.Gpu };
        gpus.Gpus.Add(1);
        config.InstanceGroups.Add(gpus);
        config.Parameters["intra_op_thread_count"] = "1";
        config.Parameters["execution_mode"] = "0";
        var warmup = new TritonModelWarmup { Name = "zeros", BatchSize = 4, Count = 3 };
        var warmIds = new TritonWarmupInput { DataType = TritonDataType.Int64, Data = TritonWarmupData.Zero };
        warmIds.Dims.Add(16);
        var warmMask = new TritonWarmupInput { DataType = TritonDataType.Int64, Data = TritonWarmupData.File, InputDataFile = "mask.bin" };
        warmMask.Dims.Add(16);
        var warmScale = new TritonWarmupInput { DataType = TritonDataType.Fp16, Data = TritonWarmupData.Random };
        warmScale.Dims.Add(1);
        warmup.Inputs["input_ids"] = warmIds;
        warmup.Inputs["attention_mask"] = warmMask;
        warmup.Inputs["scale"] = warmScale;
        config.Warmups.Add(warmup);
        return config;
    }

    internal static void AssertEqual(TritonModelConfig expected, TritonModelConfig actual)
    {
        Assert.AreEqual(expected.Name, actual.Name);
        Assert.AreEqual(expected.Platform, actual.Platform);
        Assert.AreEqual(expected.Backend, actual.Backend);
        Assert.AreEqual(expected.DefaultModelFileName, actual.DefaultModelFileName);
        Assert.AreEqual(expected.MaxBatchSize, actual.MaxBatchSize);
        AssertTensors(expected.Inputs, actual.Inputs);
        AssertTensors(expected.Outputs, actual.Outputs);
        Assert.AreEqual(expected.DynamicBatching is null, actual.DynamicBatching is null);
        if (expected.DynamicBatching is { } batching)
        {
            Assert.AreEqual(batching.MaxQueueDelayMicroseconds, actual.DynamicBatching!.MaxQueueDelayMicroseconds);
            CollectionAssert.AreEqual(batching.PreferredBatchSizes.ToArray(), actual.DynamicBatching.PreferredBatchSizes.ToArray());
            Assert.AreEqual(batching.PreserveOrdering, actual.DynamicBatching.PreserveOrdering);
        }

        Assert.HasCount(expected.InstanceGroups.Count, actual.InstanceGroups);
        for (var i = 0; i < expected.InstanceGroups.Count; i++)
        {
            Assert.AreEqual(expected.InstanceGroups[i].Name, actual.InstanceGroups[i].Name);
            Assert.AreEqual(expected.InstanceGroups[i].Count, actual.InstanceGroups[i].Count);
            Assert.AreEqual(expected.InstanceGroups[i].Kind, actual.InstanceGroups[i].Kind);
            CollectionAssert.AreEqual(expected.InstanceGroups[i].Gpus.ToArray(), actual.InstanceGroups[i].Gpus.ToArray());
        }

        CollectionAssert.AreEqual(expected.Parameters.ToArray(), actual.Parameters.ToArray());
        Assert.HasCount(expected.Warmups.Count, actual.Warmups);
        for (var i = 0; i < expected.Warmups.Count; i++)
        {
            var (want, got) = (expected.Warmups[i], actual.Warmups[i]);
            Assert.AreEqual(want.Name, got.Name);
            Assert.AreEqual(want.BatchSize, got.BatchSize);
            Assert.AreEqual(want.Count, got.Count);
            CollectionAssert.AreEqual(want.Inputs.Keys.ToArray(), got.Inputs.Keys.ToArray());
            foreach (var (name, input) in want.Inputs)
            {
                Assert.AreEqual(input.DataType, got.Inputs[name].DataType, name);
                CollectionAssert.AreEqual(input.Dims.ToArray(), got.Inputs[name].Dims.ToArray(), name);
                Assert.AreEqual(input.Data, got.Inputs[name].Data, name);
                Assert.AreEqual(input.InputDataFile, got.Inputs[name].InputDataFile, name);
            }
        }
    }

    private static void AssertTensors(IList<TritonTensorConfig> expected, IList<TritonTensorConfig> actual)
    {
        Assert.HasCount(expected.Count, actual);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Name, actual[i].Name);
            Assert.AreEqual(expected[i].DataType, actual[i].DataType, expected[i].Name);
            CollectionAssert.AreEqual(expected[i].Dims.ToArray(), actual[i].Dims.ToArray(), expected[i].Name);
            CollectionAssert.AreEqual(expected[i].Reshape?.ToArray(), actual[i].Reshape?.ToArray(), expected[i].Name);
            Assert.AreEqual(expected[i].AllowRaggedBatch, actual[i].AllowRaggedBatch, expected[i].Name);
            Assert.AreEqual(expected[i].Optional, actual[i].Optional, expected[i].Name);
        }
    }
}
