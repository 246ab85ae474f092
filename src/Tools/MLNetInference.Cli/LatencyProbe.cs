using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
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
        var aInputs = Inputs(originalBytes, aBatch, sequenceLength);
        var bInputs = Inputs(optimizedBytes, bBatch, sequenceLength);
        try
        {
            var aTimes = new List<double>();
            var bTimes = new List<double>();
            for (var round = -1; round < Rounds; round++)
            {
                var ta = Time(a, aInputs, batch / aBatch);
                var tb = Time(b, bInputs, batch / bBatch);
                if (round >= 0)
                {
                    aTimes.Add(ta);
                    bTimes.Add(tb);
                }
            }

            return (Median(aTimes), Median(bTimes));
        }
        finally
        {
            Dispose(aInputs);
            Dispose(bInputs);
        }
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

    private static Dictionary<string, OrtValue> Inputs(byte[] model, int batch, int sequenceLength)
    {
        var sample = SampleInputGenerator.Generate(model, new SampleInputOptions { SampleCount = 1, BatchSize = batch, SequenceLength = sequenceLength })[0];
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        foreach (var (name, tensor) in sample)
        {
            values[name] = tensor.Data switch
            {
                float[] f => OrtValue.CreateTensorValueFromMemory(f, tensor.Shape),
                long[] l => OrtValue.CreateTensorValueFromMemory(l, tensor.Shape),
                int[] i => OrtValue.CreateTensorValueFromMemory(i, tensor.Shape),
                double[] d => OrtValue.CreateTensorValueFromMemory(d, tensor.Shape),
                _ => throw new NotSupportedException($"Input '{name}' has an element type the latency probe cannot generate."),
            };
        }

        return values;
    }

    private static double Time(InferenceSession session, Dictionary<string, OrtValue> inputs, int calls)
    {
        using var runOptions = new RunOptions();
        var clock = Stopwatch.StartNew();
        for (var c = 0; c < calls; c++)
        {
            using var outputs = session.Run(runOptions, inputs, session.OutputNames);
        }

        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static void Dispose(Dictionary<string, OrtValue> values)
    {
        foreach (var value in values.Values)
        {
            value.Dispose();
        }
    }
}
