using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Cli;

/// <summary>Times the original and the optimized model at batch 1 and 16 under ORT_ENABLE_ALL, interleaved, and reports medians.</summary>
internal static class LatencyProbe
{
    private const int Rounds = 7;

    public static LatencyReport Measure(byte[] original, byte[] optimized, int sequenceLength)
    {
        using var a = Session(original);
        using var b = Session(optimized);
        var (o1, n1) = Pair(a, b, original, optimized, 1, sequenceLength);
        var (o16, n16) = Pair(a, b, original, optimized, 16, sequenceLength);
        return new LatencyReport(o1, n1, o16, n16);
    }

    private static (double Original, double Optimized) Pair(InferenceSession a, InferenceSession b, byte[] originalBytes, byte[] optimizedBytes, int batch, int sequenceLength)
    {
        // A model whose batch is fixed at 1 runs a batch of 16 as 16 calls.
        var aBatch = FixedUnitBatch(a) ? 1 : batch;
        var bBatch = FixedUnitBatch(b) ? 1 : batch;
        var aRunner = new SampleRunner(a, modelName: "original");
        var bRunner = new SampleRunner(b, modelName: "optimized");

        // Inputs are bound once, outside the timed calls.
        using var aInputs = aRunner.Bind(Sample(originalBytes, aBatch, sequenceLength));
        using var bInputs = bRunner.Bind(Sample(optimizedBytes, bBatch, sequenceLength));
        var aTimes = new List<double>();
        var bTimes = new List<double>();
        for (var round = -1; round < Rounds; round++)
        {
            var ta = Time(aRunner, aInputs, batch / aBatch);
            var tb = Time(bRunner, bInputs, batch / bBatch);
            if (round >= 0)
            {
                aTimes.Add(ta);
                bTimes.Add(tb);
            }
        }

        return (Median(aTimes), Median(bTimes));
    }

    private static InferenceSession Session(byte[] model)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        return new InferenceSession(model, options);
    }

    private static bool FixedUnitBatch(InferenceSession session)
    {
        foreach (var input in session.InputMetadata.Values)
        {
            if (input.Dimensions.Length == 0 || input.Dimensions[0] != 1)
            {
                return false;
            }
        }

        return session.InputMetadata.Count > 0;
    }

    private static IReadOnlyDictionary<string, SampleTensor> Sample(byte[] model, int batch, int sequenceLength) =>
        SampleInputGenerator.Generate(model, new SampleInputOptions { SampleCount = 1, BatchSize = batch, SequenceLength = sequenceLength })[0];

    private static double Time(SampleRunner runner, SampleBinding inputs, int calls)
    {
        var clock = Stopwatch.StartNew();
        for (var c = 0; c < calls; c++)
        {
            using var outputs = runner.Run(inputs);
        }

        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
