// GPU check: on a CUDA machine, measures batched against batch-1 throughput of MiniLM on the GPU (the batch runner
// and the pool) and proves that a session asking for CUDA falls back to the CPU, with a warning, when CUDA cannot load.
// Usage: GpuCheck --model model.onnx [--expect cuda|cpu] [--seconds 2] [--rounds 3]
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MLNetInference.Core.Runtime;
using MLNetInference.Samples.GpuCheck;
using MLNetInference.Serving;

var arguments = CheckArguments.Parse(args);
if (arguments is null)
{
    Console.Error.WriteLine("usage: GpuCheck --model <model.onnx> [--expect cuda|cpu] [--seconds N] [--rounds N]");
    return 2;
}

var warnings = new WarningCounter();
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).AddProvider(warnings));
var logger = loggerFactory.CreateLogger("GpuCheck");
Console.WriteLine($"cuda provider loadable in this process: {OnnxSessionFactory.IsCudaAvailable()}");

using var model = new OnnxSessionFactory(logger).Create(arguments.ModelPath, new OnnxSessionOptions { ExecutionProvider = ExecutionProvider.Auto });
Console.WriteLine($"session provider: {model.ExecutionProvider}; fallback warnings logged: {warnings.Count}");
var expected = arguments.Expect;
if (expected == ExecutionProvider.Cuda && model.ExecutionProvider != ExecutionProvider.Cuda)
{
    Console.Error.WriteLine("FAIL: CUDA was expected but the session runs on the CPU.");
    return 3;
}

if (expected == ExecutionProvider.Cpu && (model.ExecutionProvider != ExecutionProvider.Cpu || warnings.Count == 0))
{
    Console.Error.WriteLine("FAIL: a CPU fallback with a logged warning was expected.");
    return 4;
}

// 1. The batch runner at batch 1 and batch 32, 128 tokens, interleaved rounds.
var runner = new BatchRunner(model, new BatchRunnerOptions { OutputNames = ["last_hidden_state"], MaxBatchSize = 64 });
var table = new List<string> { "| variant | rows/s (median) |", "|---|---:|" };
var b1 = new List<double>();
var b32 = new List<double>();
for (var round = 0; round < arguments.Rounds; round++)
{
    b1.Add(RunnerThroughput(runner, 1, arguments.Seconds));
    b32.Add(RunnerThroughput(runner, 32, arguments.Seconds));
    Console.WriteLine($"round {round + 1}: runner b1 {b1[^1]:F1} rows/s, b32 {b32[^1]:F1} rows/s");
}

table.Add($"| runner b1 ({model.ExecutionProvider}) | {Median(b1):F1} |");
table.Add($"| runner b32 ({model.ExecutionProvider}) | {Median(b32):F1} |");

// 2. The pool with and without batching, 64 closed-loop clients, on the same device.
var device = model.ExecutionProvider == ExecutionProvider.Cuda ? DeviceSpec.Cuda(model.DeviceId) : DeviceSpec.Cpu;
var unbatched = await PoolThroughputAsync(arguments.ModelPath, device, maxBatch: 1, arguments.Seconds * 2, loggerFactory);
var batched = await PoolThroughputAsync(arguments.ModelPath, device, maxBatch: 64, arguments.Seconds * 2, loggerFactory);
table.Add($"| pool, no batching, 64 clients ({device}) | {unbatched:F1} |");
table.Add($"| pool, batching ≤ 64, 64 clients ({device}) | {batched:F1} |");

Console.WriteLine();
Console.WriteLine(string.Join(Environment.NewLine, table));
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"runner b32/b1 = {Median(b32) / Median(b1):F2}x; pool batched/unbatched = {batched / unbatched:F2}x"));
return 0;

static double RunnerThroughput(BatchRunner runner, int batch, double seconds)
{
    var rows = new RowTensor[batch * runner.InputCount];
    for (var r = 0; r < batch; r++)
    {
        var ids = new long[128];
        for (var t = 0; t < ids.Length; t++)
        {
            ids[t] = 1000 + ((r * 131) + (t * 17)) % 20000;
        }

        rows[(r * runner.InputCount) + runner.IndexOfInput("input_ids")] = new RowTensor(ids);
        rows[(r * runner.InputCount) + runner.IndexOfInput("attention_mask")] = new RowTensor(Enumerable.Repeat(1L, 128).ToArray());
        rows[(r * runner.InputCount) + runner.IndexOfInput("token_type_ids")] = new RowTensor(new long[128]);
    }

    using (runner.Run(rows))
    {
        // Warm-up.
    }

    var clock = Stopwatch.StartNew();
    var done = 0;
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        using var result = runner.Run(rows);
        done += batch;
    }

    return done / clock.Elapsed.TotalSeconds;
}

static async Task<double> PoolThroughputAsync(string modelPath, DeviceSpec device, int maxBatch, double seconds, ILoggerFactory loggerFactory)
{
    var services = new ServiceCollection();
    services.AddSingleton(loggerFactory);
    services.AddPredictionEnginePool<TokenInput, HiddenState>()
        .FromOnnxFile(string.Empty, modelPath, o => o.OutputColumns["last_hidden_state"] = "last_hidden_state")
        .WithDynamicBatching(o =>
        {
            o.MaxBatchSize = maxBatch;
            o.MaxQueueDelay = TimeSpan.FromMilliseconds(2);
            o.WorkersPerDevice = device.Provider == ExecutionProvider.Cpu ? 2 : 1;
            o.Devices.Add(device);
        });
    await using var provider = services.BuildServiceProvider();
    var pool = provider.GetRequiredService<PredictionEnginePool<TokenInput, HiddenState>>();
    var clock = Stopwatch.StartNew();
    var done = 0;
    var clients = Enumerable.Range(0, 64).Select(c => Task.Run(async () =>
    {
        var input = TokenInput.Create(16 + (c % 8) * 14);
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await pool.PredictAsync(input);
            Interlocked.Increment(ref done);
        }
    }));
    await Task.WhenAll(clients);
    return done / clock.Elapsed.TotalSeconds;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}
