using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace MLNetInference.Serving.Tests.Deploy;

/// <summary>
/// deploy/: the KServe manifests parsed as YAML and checked against the field names of KServe's published CRDs
/// (ServingRuntimeSpec in serving.kserve.io/v1alpha1, the v1beta1 predictor's ComponentExtensionSpec and ModelSpec), and
/// their ports and protocols against the Dockerfile and the server app. No cluster is needed.
/// </summary>
[TestClass]
public sealed partial class DeployManifestsTests
{
    private const int HttpPort = 8080;
    private const int GrpcPort = 8081;

    /// <summary>The default export's max_batch_size (<see cref="DynamicBatchingOptions.MaxBatchSize"/>).</summary>
    private static readonly int DefaultMaxBatch = new DynamicBatchingOptions().MaxBatchSize;

    private static readonly HashSet<string> ServingRuntimeSpecFields =
    [
        "supportedModelFormats", "multiModel", "disabled", "protocolVersions", "workerSpec", "containers", "volumes",
        "nodeSelector", "affinity", "tolerations", "labels", "annotations", "imagePullSecrets", "hostIPC", "grpcEndpoint",
        "grpcDataEndpoint", "httpDataEndpoint", "replicas", "storageHelper", "builtInAdapter",
    ];

    private static readonly HashSet<string> SupportedModelFormatFields = ["name", "version", "autoSelect", "priority"];

    private static readonly HashSet<string> ContainerFields =
    [
        "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy", "restartPolicy",
        "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
        "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
    ];

    private static readonly HashSet<string> PredictorFields =
    [
        // ComponentExtensionSpec
        "minReplicas", "maxReplicas", "scaleTarget", "scaleMetric", "scaleMetricType", "autoScaling", "containerConcurrency",
        "timeout", "canaryTrafficPercent", "logger", "batcher", "labels", "annotations", "deploymentStrategy",
        // PredictorSpec's model and the pod fields it inlines
        "model", "workerSpec", "serviceAccountName", "containers", "volumes", "nodeSelector", "affinity", "tolerations",
        "imagePullSecrets", "securityContext", "priorityClassName",
    ];

    private static readonly HashSet<string> ModelFields = [.. ContainerFields, "modelFormat", "runtime", "storageUri", "storage", "runtimeVersion", "protocolVersion"];

    private static readonly HashSet<string> ScaleMetrics = ["cpu", "memory", "concurrency", "rps"];

    private static readonly HashSet<string> Protocols = ["v1", "v2", "grpc-v1", "grpc-v2"];

    private static string Root => FindRoot();

    [TestMethod]
    public void ClusterServingRuntime_UsesPublishedFieldsAndRunsTheServerOnBothPorts()
    {
        var runtime = Load("deploy/kserve/clusterservingruntime.yaml");

        Assert.AreEqual("serving.kserve.io/v1alpha1", Scalar(runtime, "apiVersion"));
        Assert.AreEqual("ClusterServingRuntime", Scalar(runtime, "kind"));
        Assert.IsFalse(string.IsNullOrEmpty(Scalar(Map(runtime, "metadata"), "name")));
        var spec = Map(runtime, "spec");
        AssertOnlyKnown(spec, ServingRuntimeSpecFields, "ClusterServingRuntime spec");
        var formats = Seq(spec, "supportedModelFormats").Cast<YamlMappingNode>().ToList();
        formats.ForEach(f => AssertOnlyKnown(f, SupportedModelFormatFields, "supportedModelFormats[]"));
        Assert.IsTrue(formats.Any(f => Scalar(f, "name") == "onnx"), "serves the onnx model format");
        CollectionAssert.AreEqual(new[] { "v2", "grpc-v2" }, Seq(spec, "protocolVersions").Select(Text).ToArray());
        var container = Seq(spec, "containers").Cast<YamlMappingNode>().Single(c => Scalar(c, "name") == "kserve-container");
        AssertOnlyKnown(container, ContainerFields, "containers[]");
        Assert.IsFalse(string.IsNullOrEmpty(Scalar(container, "image")));
        var args = Seq(container, "args").Select(Text).ToList();
        Assert.AreEqual("/mnt/models", Option(args, "--model-repository"), "KServe mounts the storageUri at /mnt/models");
        Assert.AreEqual("0.0.0.0", Option(args, "--host"), "listens beyond the pod's loopback");
        Assert.AreEqual(HttpPort.ToString(CultureInfo.InvariantCulture), Option(args, "--http-port"));
        Assert.AreEqual(GrpcPort.ToString(CultureInfo.InvariantCulture), Option(args, "--grpc-port"));
        Assert.AreEqual("true", Scalar(Map(container, "securityContext"), "runAsNonRoot"));
    }

    [TestMethod]
    [DataRow("deploy/kserve/inferenceservice.yaml", "v2", HttpPort, "http1")]
    [DataRow("deploy/kserve/inferenceservice-grpc.yaml", "grpc-v2", GrpcPort, "h2c")]
    public void InferenceService_UsesTheRuntimeWithAutoscalingThatLetsBatchesFill(string path, string protocol, int port, string portName)
    {
        var runtime = Load("deploy/kserve/clusterservingruntime.yaml");
        var service = Load(path);

        Assert.AreEqual("serving.kserve.io/v1beta1", Scalar(service, "apiVersion"));
        Assert.AreEqual("InferenceService", Scalar(service, "kind"));
        var predictor = Map(Map(service, "spec"), "predictor");
        AssertOnlyKnown(predictor, PredictorFields, "spec.predictor");
        var model = Map(predictor, "model");
        AssertOnlyKnown(model, ModelFields, "spec.predictor.model");
        Assert.AreEqual(Scalar(Map(runtime, "metadata"), "name"), Scalar(model, "runtime"));
        Assert.AreEqual("onnx", Scalar(Map(model, "modelFormat"), "name"));
        Assert.AreEqual(protocol, Scalar(model, "protocolVersion"));
        CollectionAssert.Contains(Seq(Map(runtime, "spec"), "protocolVersions").Select(Text).ToArray(), protocol, "the runtime must support the protocol");
        Assert.IsTrue(Protocols.Contains(protocol));
        Assert.IsFalse(string.IsNullOrEmpty(Scalar(model, "storageUri")));

        // Knative (Serverless mode) routes exactly one port per service; a gRPC port must be named h2c.
        var ports = Seq(model, "ports").Cast<YamlMappingNode>().ToList();
        Assert.HasCount(1, ports);
        Assert.AreEqual(port, Int(ports[0], "containerPort"));
        Assert.AreEqual(portName, Scalar(ports[0], "name"));
        CollectionAssert.Contains(DockerfileExposedPorts(), port, "the Dockerfile exposes the routed port");

        var min = Int(predictor, "minReplicas");
        var max = Int(predictor, "maxReplicas");
        Assert.IsTrue(min >= 0 && max >= 1 && min <= max, $"minReplicas {min} .. maxReplicas {max}");
        Assert.IsTrue(ScaleMetrics.Contains(Scalar(predictor, "scaleMetric") ?? string.Empty), "scaleMetric is one of cpu, memory, concurrency, rps");
        var concurrency = Int(predictor, "containerConcurrency");
        var cpus = Int(Map(Map(model, "resources"), "limits"), "cpu");
        Assert.IsGreaterThanOrEqualTo(DefaultMaxBatch * cpus, concurrency, "containerConcurrency must be at least max batch x instances (one per CPU of the pod)");
        Assert.IsLessThanOrEqualTo(concurrency, Int(predictor, "scaleTarget"), "the soft scale target stays under the hard limit");
    }

    [TestMethod]
    public void Dockerfile_MultiStageNonRootServerOnMntModels()
    {
        var lines = DockerfileInstructions();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.HasCount(2, stages);
        StringAssert.StartsWith(stages[0], "FROM mcr.microsoft.com/dotnet/sdk:10.0");
        StringAssert.StartsWith(stages[1], "FROM mcr.microsoft.com/dotnet/aspnet:10.0");
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))[5..].Trim();
        Assert.IsFalse(user is "root" or "0" || user.StartsWith("0:", StringComparison.Ordinal), $"runs as '{user}'");
        StringAssert.Contains(lines.Single(l => l.StartsWith("RUN ", StringComparison.Ordinal) && l.Contains("publish", StringComparison.Ordinal)), "src/Samples/InferenceServer/InferenceServer.csproj");
        Assert.IsTrue(File.Exists(Path.Combine(Root, "deploy", "Dockerfile.dockerignore")), "the build context leaves out tests and outputs");
        CollectionAssert.AreEquivalent(new[] { HttpPort, GrpcPort }, DockerfileExposedPorts());

        // Two glibc arenas strand about half the memory that reloads free (BENCHMARKS.md, the soak with MALLOC_ARENA_MAX=2).
        var runtimeEnv = lines.SkipWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal)).Where(l => l.StartsWith("ENV ", StringComparison.Ordinal));
        Assert.IsTrue(runtimeEnv.Any(l => Regex.IsMatch(l, @"(^|\s)MALLOC_ARENA_MAX=2(\s|$)")), "the server image sets MALLOC_ARENA_MAX=2");
        var entry = JsonSerializer.Deserialize<string[]>(lines.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal))[11..])!;
        CollectionAssert.AreEqual(new[] { "dotnet", "InferenceServer.dll" }, entry);
        var args = JsonSerializer.Deserialize<string[]>(lines.Single(l => l.StartsWith("CMD ", StringComparison.Ordinal))[4..])!.ToList();
        Assert.AreEqual("/mnt/models", Option(args, "--model-repository"));
        Assert.AreEqual("0.0.0.0", Option(args, "--host"));
        Assert.AreEqual(HttpPort.ToString(CultureInfo.InvariantCulture), Option(args, "--http-port"));
        Assert.AreEqual(GrpcPort.ToString(CultureInfo.InvariantCulture), Option(args, "--grpc-port"));
    }

    [TestMethod]
    public void ServerApp_DefaultPortsAreTheOnesDeployUses()
    {
        var folder = Path.Combine(Root, "src", "Samples", "InferenceServer");
        if (!Directory.Exists(folder))
        {
            Assert.Inconclusive("src/Samples/InferenceServer is not in this tree yet.");
        }

        var source = string.Concat(Directory.GetFiles(folder, "*.cs").Select(File.ReadAllText));
        Assert.AreEqual(HttpPort.ToString(CultureInfo.InvariantCulture), DefaultPort(source, "http-port"));
        Assert.AreEqual(GrpcPort.ToString(CultureInfo.InvariantCulture), DefaultPort(source, "grpc-port"));
    }

    private static string? DefaultPort(string source, string option)
        => Regex.Match(source, "\"" + option + "\"\\s*,\\s*(\\d+)") is { Success: true } m ? m.Groups[1].Value : null;

    private static int[] DockerfileExposedPorts()
        => [.. DockerfileInstructions().Where(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))
            .SelectMany(l => l[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture))];

    /// <summary>The Dockerfile's instructions, comments dropped and continuation lines joined.</summary>
    private static List<string> DockerfileInstructions()
    {
        var instructions = new List<string>();
        var current = string.Empty;
        foreach (var raw in File.ReadAllLines(Path.Combine(Root, "deploy", "Dockerfile")))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            current += line.EndsWith('\\') ? line[..^1] + " " : line;
            if (!line.EndsWith('\\'))
            {
                instructions.Add(current);
                current = string.Empty;
            }
        }

        return instructions;
    }

    private static string? Option(List<string> args, string name)
    {
        var i = args.IndexOf(name);
        return i >= 0 && i + 1 < args.Count ? args[i + 1] : null;
    }

    private static YamlMappingNode Load(string relative)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Root, relative)))
        {
            stream.Load(reader);
        }

        Assert.HasCount(1, stream.Documents, relative);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static void AssertOnlyKnown(YamlMappingNode node, HashSet<string> known, string where)
    {
        foreach (var key in node.Children.Keys)
        {
            Assert.IsTrue(known.Contains(Text(key)), $"{where} has the field '{Text(key)}', which KServe's CRD does not define");
        }
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlMappingNode map ? map : throw new AssertFailedException($"'{key}' is missing or not a mapping");

    private static IEnumerable<YamlNode> Seq(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode seq ? seq.Children : throw new AssertFailedException($"'{key}' is missing or not a list");

    private static string? Scalar(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? Text(value) : null;

    private static int Int(YamlMappingNode node, string key)
        => int.TryParse(Scalar(node, key), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new AssertFailedException($"'{key}' is missing or not a whole number");

    private static string Text(YamlNode node) => node is YamlScalarNode { Value: { } value } ? value : throw new AssertFailedException($"{node} is not a scalar");

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "MLNetInference.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("MLNetInference.sln not found above the test folder.");
    }
}
