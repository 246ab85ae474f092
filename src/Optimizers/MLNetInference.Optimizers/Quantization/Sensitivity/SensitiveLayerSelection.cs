using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Internal;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Optimizers.Verification.Internal;

namespace MLNetInference.Optimizers.Quantization.Sensitivity;

/// <summary>
/// Ranks the weight MatMuls of a model by how much quantizing each one alone changes its output, on the activations it
/// really sees: the float model runs once on sample inputs with every candidate's input exposed, and each MatMul's
/// output is recomputed with quantized weights (and, for dynamic INT8, quantized activations) on a sample of rows.
/// </summary>
/// <remarks>
/// The error is local (one MatMul at a time, ‖Y_q − Y‖² / ‖Y‖²), which is what makes a MatMul fed by outlier-heavy
/// activations (for example a transformer's FFN down-projection after GELU) stand out: its per-tensor activation scale
/// is set by a few outliers, and every other value loses precision. Keep the top few in float with
/// <see cref="DynamicInt8Options.ExcludedNodeNames"/> or <see cref="Int4Options.ExcludedNodeNames"/>.
/// </remarks>
public static class SensitiveLayerSelection
{
    /// <summary>The rows per sample on which each MatMul's error is measured (spread evenly).</summary>
    public const int RowsPerSample = 32;

    /// <summary>Measures every MatMul with a constant 2-D float weight, most sensitive first.</summary>
    /// <param name="model">The float model; it is not changed.</param>
    /// <param name="scheme">The quantization whose error is measured.</param>
    /// <param name="samples">Sample-input settings; defaults (2 samples of batch 2, sequence 16) when <see langword="null"/>.</param>
    /// <returns>One entry per candidate MatMul, the largest relative error first.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model's inputs cannot be sampled.</exception>
    public static IReadOnlyList<MatMulSensitivity> Measure(ModelProto model, WeightQuantizationScheme scheme, SampleInputOptions? samples = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return MeasureWithChannelRanges(model, scheme, samples).Ranking;
    }

    /// <summary>As <see cref="Measure"/>, and also the largest |x| seen per input channel (K) of each MatMul, by node name.</summary>
    internal static (IReadOnlyList<MatMulSensitivity> Ranking, Dictionary<string, float[]> ChannelMax) MeasureWithChannelRanges(ModelProto model, WeightQuantizationScheme scheme, SampleInputOptions? samples)
    {
        var candidates = Candidates(model);
        var channelMax = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (candidates.Count == 0)
        {
            return ([], channelMax);
        }

        foreach (var candidate in candidates)
        {
            channelMax[candidate.Name] = new float[candidate.K];
        }

        var probe = model.Clone();
        var exposed = new List<string>();
        var outputs = new HashSet<string>(probe.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            if (outputs.Add(candidate.Input))
            {
                probe.Graph.Output.Add(new ValueInfoProto
                {
                    Name = candidate.Input,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
                });
            }

            if (!exposed.Contains(candidate.Input))
            {
                exposed.Add(candidate.Input);
            }
        }

        var numerators = new double[candidates.Count];
        var denominators = new double[candidates.Count];
        var rows = new int[candidates.Count];
        var weights = candidates.Select(c => QuantizedWeights(c, scheme)).ToArray();
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(OnnxModelIO.ToBytes(probe), options);
        var runner = new SampleRunner(session, exposed, "sensitivity probe");
        foreach (var sample in SampleInputGenerator.Generate(model, samples))
        {
            using var result = runner.Run(sample);
            var values = OutputValues.ReadAll(result);
            for (var i = 0; i < candidates.Count; i++)
            {
                var activation = values[candidates[i].Input];
                if (activation.Values is null)
                {
                    continue;
                }

                rows[i] += Accumulate(activation.Values, candidates[i], weights[i], scheme, ref numerators[i], ref denominators[i]);
                var max = channelMax[candidates[i].Name];
                if (activation.Values.Length % candidates[i].K == 0)
                {
                    for (var j = 0; j < activation.Values.Length; j++)
                    {
                        var k = j % candidates[i].K;
                        max[k] = Math.Max(max[k], (float)Math.Abs(activation.Values[j]));
                    }
                }
            }
        }

        IReadOnlyList<MatMulSensitivity> ranking = [.. Enumerable.Range(0, candidates.Count)
            .Select(i => new MatMulSensitivity(candidates[i].Name, denominators[i] > 0 ? numerators[i] / denominators[i] : 0, rows[i]))
            .OrderByDescending(s => s.RelativeError)];
        return (ranking, channelMax);
    }

    /// <summary>Names the <paramref name="count"/> most sensitive weight MatMuls (fewer when the model has fewer).</summary>
    /// <param name="model">The float model; it is not changed.</param>
    /// <param name="scheme">The quantization whose error is measured.</param>
    /// <param name="count">How many to name; 0 names none.</param>
    /// <param name="samples">Sample-input settings; defaults when <see langword="null"/>.</param>
    /// <returns>The node names, most sensitive first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static IReadOnlyList<string> MostSensitive(ModelProto model, WeightQuantizationScheme scheme, int count, SampleInputOptions? samples = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return count == 0 ? [] : [.. Measure(model, scheme, samples).Take(count).Select(s => s.NodeName)];
    }

    private static List<Candidate> Candidates(ModelProto model)
    {
        var graph = new OnnxGraph(model);
        var result = new List<Candidate>();
        foreach (var node in graph.TopologicalOrder())
        {
            if (!OpsetInfo.IsOp(node, "MatMul") || node.Input.Count != 2 || node.Name.Length == 0
                || graph.GetConstantInitializer(node.Input[1]) is not { } weight
                || weight.Dims.Count != 2 || weight.DataType != (int)TensorProto.Types.DataType.Float
                || !TensorData.TryReadFloat(weight, out var values) || values.Length != weight.Dims[0] * weight.Dims[1] || values.Length == 0)
            {
                continue;
            }

            result.Add(new Candidate(node.Name, node.Input[0], values, (int)weight.Dims[0], (int)weight.Dims[1]));
        }

        return result;
    }

    private static float[] QuantizedWeights(Candidate c, WeightQuantizationScheme scheme)
    {
        if (scheme == WeightQuantizationScheme.Int4)
        {
            const int BlockSize = 16;
            var block = Int4BlockQuantizer.Quantize(c.Weights, c.K, c.N, BlockSize, symmetric: false);
            return Int4BlockQuantizer.Dequantize(block, c.K, c.N, BlockSize);
        }

        var result = SymmetricWeightQuantizer.Quantize(c.Weights, c.K, c.N, new DynamicInt8Options());
        var dequantized = new float[c.Weights.Length];
        for (var i = 0; i < dequantized.Length; i++)
        {
            dequantized[i] = unchecked((sbyte)result.Values[i]) * result.Scales[i % c.N];
        }

        return dequantized;
    }

    private static int Accumulate(double[] activation, Candidate c, float[] quantizedWeights, WeightQuantizationScheme scheme, ref double numerator, ref double denominator)
    {
        if (activation.Length % c.K != 0)
        {
            return 0;
        }

        var total = activation.Length / c.K;
        var take = Math.Min(total, RowsPerSample);

        // Dynamic INT8 quantizes the activation per tensor over the whole call, as DynamicQuantizeLinear does.
        float scale = 1f, zero = 0f;
        if (scheme == WeightQuantizationScheme.DynamicInt8)
        {
            double min = 0, max = 0;
            foreach (var v in activation)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            scale = max > min ? (float)((max - min) / 255) : 1f;
            zero = Math.Clamp(MathF.Round((float)(-min / scale), MidpointRounding.ToEven), 0f, 255f);
        }

        var x = new float[c.K];
        var xq = new float[c.K];
        var y = new float[c.N];
        var yq = new float[c.N];
        for (var t = 0; t < take; t++)
        {
            var row = (int)((long)t * total / take);
            for (var k = 0; k < c.K; k++)
            {
                x[k] = (float)activation[(row * c.K) + k];
                xq[k] = scheme == WeightQuantizationScheme.DynamicInt8
                    ? (Math.Clamp(MathF.Round(x[k] / scale, MidpointRounding.ToEven) + zero, 0f, 255f) - zero) * scale
                    : x[k];
            }

            Array.Clear(y);
            Array.Clear(yq);
            for (var k = 0; k < c.K; k++)
            {
                // PERF: one vectorized axpy per weight row instead of a scalar dot product per output.
                TensorPrimitives.MultiplyAdd(c.Weights.AsSpan(k * c.N, c.N), x[k], y, y);
                TensorPrimitives.MultiplyAdd(quantizedWeights.AsSpan(k * c.N, c.N), xq[k], yq, yq);
            }

            for (var n = 0; n < c.N; n++)
            {
                var d = (double)yq[n] - y[n];
                numerator += d * d;
                denominator += (double)y[n] * y[n];
            }
        }

        return take;
    }

    private sealed record Candidate(string Name, string Input, float[] Weights, int K, int N);
}
