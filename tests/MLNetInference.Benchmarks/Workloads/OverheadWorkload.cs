using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P3 overhead: MiniLM through our <see cref="BatchRunner"/> against a hand-written ONNX Runtime loop that packs
/// its own OrtValues, on the same <see cref="InferenceSession"/>, at batch 1 and 16 of 128 real tokens.
/// </summary>
internal sealed class OverheadWorkload : IWorkload
{
    private const int SequenceLength = 128;
    private const int LargeBatch = 16;
    private const string Output = "last_hidden_state";

    public string Name => "p3";

    public string Title => "P3 overhead: BatchRunner vs raw ONNX Runtime (MiniLM, seq 128)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? 30 : 90;
        using var model = new OnnxSessionFactory().Create(ModelPaths.MiniLmModel, new OnnxSessionOptions { IntraOpThreads = 1, InterOpThreads = 1 });
        var runner = new BatchRunner(model, new BatchRunnerOptions { OutputNames = [Output], MaxBatchSize = LargeBatch });
        var tokens = FullLengthTokens.Rows(runner.InputNames, LargeBatch, SequenceLength);
        var hidden = (int)model.Session.OutputMetadata[Output].Dimensions[^1];

        var ours1 = new RunnerCalls(runner, tokens, 1, hidden);
        var ours16 = new RunnerCalls(runner, tokens, LargeBatch, hidden);
        using var raw1 = new RawCalls(model.Session, runner.InputNames, tokens, 1, hidden);
        using var raw16 = new RawCalls(model.Session, runner.InputNames, tokens, LargeBatch, hidden);
        CheckSameOutputs(ours16, raw16, progress);

        var variants = new[]
        {
            CallVariant.Create("raw-ort-b1", null, raw1.Run, 8, 1),
            CallVariant.Create("batchrunner-b1", "raw-ort-b1", ours1.Run, 8, 1),
            CallVariant.Create("raw-ort-b16", null, raw16.Run, 1, LargeBatch),
            CallVariant.Create("batchrunner-b16", "raw-ort-b16", ours16.Run, 1, LargeBatch),
        };

        var note = $"MiniLM fp32, {SequenceLength} real tokens per row (concatenated corpus sentences), one shared InferenceSession " +
            "(ORT_ENABLE_ALL, intra-op 1 and inter-op 1 to keep the 2-vCPU noise near ±3%, see DESIGN.md); both variants pack " +
            "inputs per call and copy out all of last_hidden_state; latency per Run call; " +
            $"{rounds} interleaved rounds (b1: 8 calls per slice, b16: 1 call); peak RSS is process-wide (VmHWM).";
        return new InterleavedRun(variants).Execute(Name, rounds, _ => note, progress);
    }



    private static void CheckSameOutputs(RunnerCalls ours, RawCalls raw, TextWriter progress)
    {
        ours.Run();
        raw.Run();
        var maxDiff = 0f;
        for (var i = 0; i < ours.Output.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(ours.Output[i] - raw.Output[i]));
        }

        progress.WriteLine($"  check: BatchRunner and raw ORT outputs at b{LargeBatch} differ by at most {maxDiff:E2}");
        if (maxDiff > 1e-3f)
        {
            throw new InvalidOperationException($"BatchRunner and raw ORT disagree (max abs difference {maxDiff}); the comparison would not be fair.");
        }
    }
}
