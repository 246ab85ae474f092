using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// The ceiling of a model on this machine (issue 13): raw ONNX Runtime on inputs built before the clock starts, in a
/// tight loop on as many threads as cores, one shared session with one intra-op thread, no request machinery. What
/// any serving layer could reach at best; every P1/P4 variant is reported as a ratio to it.
/// </summary>
internal sealed class OrtCeiling : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    public OrtCeiling(string modelPath, string[] inputNames, string[] outputNames)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(modelPath, options);
        _inputNames = inputNames;
        _outputNames = outputNames;
    }

    /// <summary>The threads the ceiling runs on: one per core.</summary>
    public static int Threads => Environment.ProcessorCount;

    /// <summary>Runs one pre-built unit (one row, or one batch) whose inputs are the given tensors.</summary>
    public void Run(OrtValue[] inputs)
    {
        using var outputs = _session.Run(_runOptions, _inputNames, inputs, _outputNames);
    }

    /// <summary>Runs units on <see cref="Threads"/> threads for <paramref name="duration"/>; each unit counts <paramref name="rowsPerUnit"/> rows.</summary>
    public SliceResult RunSlice(TimeSpan duration, IReadOnlyList<OrtValue[]> units, int rowsPerUnit, List<double> latencies)
    {
        var slice = ClosedLoop.RunThreads(Threads, duration, i => Run(units[(int)(i % units.Count)]), latencies);
        return new SliceResult(slice.Rows * rowsPerUnit, slice.Seconds);
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
