using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Core;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>
/// Calibration for static quantization: runs the float model with ONNX Runtime on the caller's samples, with the
/// activations to quantize added as extra outputs, and keeps streaming statistics per activation (min, max and a
/// histogram), never the activations themselves.
/// </summary>
public static class ActivationCalibrator
{
    /// <summary>Observes <paramref name="tensors"/> over <paramref name="samples"/> and chooses each one's range.</summary>
    /// <param name="model">The float model (not changed).</param>
    /// <param name="tensors">The names of float tensors to observe: node outputs or graph inputs.</param>
    /// <param name="samples">The calibration inputs, one dictionary of named inputs per run; read once, streaming.</param>
    /// <param name="options">The method and its settings; defaults when <see langword="null"/>.</param>
    /// <returns>The range of each tensor, by name.</returns>
    /// <exception cref="ArgumentException">No sample was supplied, or a sample does not fit the model (<see cref="InvalidInputException"/> names the input).</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime cannot load the model.</exception>
    /// <exception cref="InferenceException">ONNX Runtime cannot run the model; the message says why.</exception>
    public static IReadOnlyDictionary<string, ActivationRange> Calibrate(
        ModelProto model,
        IEnumerable<string> tensors,
        IEnumerable<IReadOnlyDictionary<string, SampleTensor>> samples,
        StaticInt8Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new StaticInt8Options();
        options.Validate();
        var statistics = Observe(model, tensors, samples, options, out _);
        return statistics.ToDictionary(s => s.Key, s => s.Value.ToRange(options), StringComparer.Ordinal);
    }

    internal static Dictionary<string, ActivationStatistics> Observe(
        ModelProto model,
        IEnumerable<string> tensors,
        IEnumerable<IReadOnlyDictionary<string, SampleTensor>> samples,
        StaticInt8Options options,
        out int sampleCount)
    {
        var names = tensors.Distinct(StringComparer.Ordinal).ToList();
        var graphInputs = new HashSet<string>(model.Graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        var statistics = names.ToDictionary(n => n, n => new ActivationStatistics(n, options.HistogramBins), StringComparer.Ordinal);
        var augmented = model.Clone();
        var existingOutputs = new HashSet<string>(augmented.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var fetched = names.Where(n => !graphInputs.Contains(n)).ToArray();
        foreach (var name in fetched.Where(n => !existingOutputs.Contains(n)))
        {
            augmented.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        // Basic optimizations (constant folding, no fusions that would hide the requested tensors) keep calibration
        // quick while every observed value is the float model's own.
        using var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(OnnxModelIO.ToBytes(augmented), sessionOptions);
        var runner = new SampleRunner(session, fetched, "calibration model");
        sampleCount = 0;
        foreach (var sample in samples)
        {
            ArgumentNullException.ThrowIfNull(sample, nameof(samples));
            if (sampleCount >= options.MaxCalibrationSamples)
            {
                break;
            }

            foreach (var name in names.Where(graphInputs.Contains))
            {
                if (!sample.TryGetValue(name, out var input) || input.Data is not float[] data)
                {
                    throw new ArgumentException($"Calibration sample {sampleCount} has no float input '{name}'.", nameof(samples));
                }

                statistics[name].Add(data);
                statistics[name].Rank = input.Shape.Length;
            }

            if (fetched.Length > 0)
            {
                Observe(runner, sample, statistics);
            }

            sampleCount++;
        }

        if (sampleCount == 0)
        {
            throw new ArgumentException("Calibration needs at least one sample.", nameof(samples));
        }

        return statistics;
    }

    private static void Observe(SampleRunner runner, IReadOnlyDictionary<string, SampleTensor> sample, Dictionary<string, ActivationStatistics> statistics)
    {
        using var result = runner.Run(sample);
        for (var i = 0; i < result.Count; i++)
        {
            var name = result.OutputNames[i];
            if (result.GetElementType(i) != TensorElementType.Float)
            {
                throw new ArgumentException($"Calibration can observe float tensors only; '{name}' is not one.", nameof(sample));
            }

            statistics[name].Add(result.GetValues<float>(i));
            statistics[name].Rank = result.GetShape(i).Length;
        }
    }
}
