namespace MLNetInference.Benchmarks;

/// <summary>The parsed command line: <c>&lt;workload&gt; [--quick] [--json &lt;file&gt;]</c>.</summary>
internal sealed record BenchmarkArguments(IReadOnlyList<string> Workloads, bool Quick, string? JsonPath)
{
    public static readonly string[] KnownWorkloads = ["p1", "p2", "p2r", "p3", "p4", "p5", "p7", "estimator", "tune", "reload", "fuse", "zoo", "p2img", "p2int4", "p1cost", "kernels", "soak", "p8"];

    public const string Usage =
        "usage: dotnet run -c Release --project tests/MLNetInference.Benchmarks -- <workload> [--quick] [--json <file>]\n" +
        "  <workload>  p1 (MiniLM service under closed-loop clients: ML.NET engine pool, raw ONNX Runtime, our pool with and without batching),\n" +
        "              p2 (MiniLM fp32 vs our dynamic INT8 at b1/b16, embedding cosine), p2r (the same for the recipes fuse+int8-dynamic and fuse+int8-dynamic-sensitive),\n" +
        "              p3 (BatchRunner vs raw ONNX Runtime), p4 (small model under 32 clients: per-call cost),\n" +
        "              p5 (node counts: original, ONNX Runtime online, ours), p7 (load time: online optimization vs a pre-optimized model), estimator (batched ML.NET pipeline vs ApplyOnnxModel),\n" +
        "              tune (the tuner on MiniLM, cosine >= 0.99: tune times, tuned vs ONNX Runtime defaults at b1 and on P1),\n" +
        "              reload (the MiniLM pool reloaded 50 times under load: peak RSS after 5 and after 50 reloads),\n" +
        "              fuse (MiniLM fp32: ONNX Runtime's own optimization of the original vs the fuse recipe, b1/b16), zoo (every recipe on every zoo model: applied or why not, nodes, cosine, speed b1/b16),\n" +
        "              p2img (ResNet18 static INT8 variants calibrated and measured on real photographs: feature cosine, b1 speed),\n" +
        "              p2int4 (MiniLM fp32 vs fuse+int4-weights by MatMulNBits accuracy_level, block size and MatMuls kept float, at b1/b16, pooled cosine),\n" +
        "              p1cost (MiniLM cost per row on one thread: raw ONNX Runtime against the pool's executors and the BatchRunner),\n" +
        "              kernels (INT8 against fp32 one layer at a time, MiniLM's MatMuls and ResNet18's Convs: the ceiling of 8-bit kernels on this CPU),\n" +
        "              soak (the ASP.NET sample as a child process under 64 HTTP clients, its model replaced every 30 s, RSS and heap every 10 s: 10 min, --quick 60 s;\n" +
        "              writes soak.json and soak.png to $MLNETINFERENCE_SOAK_OUT or the current folder),\n" +
        "              p8 (Open Inference Protocol: MiniLM over V2 gRPC, REST binary and REST JSON on loopback against the in-process pool), all\n" +
        "  --quick     about two minutes per workload, still interleaved side by side\n" +
        "  --json      write one JSON object per variant and line to <file>";

    /// <summary>Parses the arguments; returns null with an error message when they do not fit the contract.</summary>
    public static BenchmarkArguments? TryParse(string[] args, out string? error)
    {
        error = null;
        string? workload = null;
        var quick = false;
        string? json = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--json" when i + 1 < args.Length:
                    json = args[++i];
                    break;
                case "--json":
                    error = "--json needs a file name.";
                    return null;
                case var a when a.StartsWith('-'):
                    error = $"Unknown option '{a}'.";
                    return null;
                case var a when workload is null:
                    workload = a.ToLowerInvariant();
                    break;
                default:
                    error = $"Only one workload may be given; got '{workload}' and '{args[i]}'.";
                    return null;
            }
        }

        if (workload is null)
        {
            error = "No workload given.";
            return null;
        }

        if (workload == "all")
        {
            return new BenchmarkArguments(KnownWorkloads, quick, json);
        }

        if (Array.IndexOf(KnownWorkloads, workload) < 0)
        {
            error = $"Unknown workload '{workload}'.";
            return null;
        }

        return new BenchmarkArguments([workload], quick, json);
    }
}
