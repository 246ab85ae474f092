using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Optimizers.Verification.Internal;

namespace MLNetInference.Optimizers.Quantization.Sensitivity;

/// <summary>
/// Ranks the quantized nodes of a model by the model's own output: starting from the fully quantized model, each node
/// is put back to its float original alone, and the rise of the output cosine to the float model on sample inputs is
/// its sensitivity. Unlike <see cref="SensitiveLayerSelection.Measure"/>'s local error, this sees how a node's error
/// grows through the layers after it (on MiniLM at INT4 block 32 the two nodes that help most when kept float ranked
/// 7th and 21st by local error).
/// </summary>
/// <remarks>
/// The quantizer must replace each node by one node that writes the same output (as
/// <see cref="Int4.Int4WeightQuantizationPass"/> does). Costs one
/// ONNX Runtime session and one run per sample for each node, plus one for the float and one for the quantized model.
/// </remarks>
internal static class OutputSensitivity
{
    /// <summary>
    /// The smallest gain that counts: a node whose return to float raises the output cosine by less is not worth keeping
    /// (a weight that quantizes exactly still differs from float in summation order, by about 1e-7).
    /// </summary>
    public const double MinimumGain = 1e-6;

    /// <summary>Measures each quantized node, named by its first output, the largest gain first.</summary>
    /// <param name="original">The float model; not changed.</param>
    /// <param name="quantized">The same model with the nodes quantized, each writing the output its original wrote; not changed.</param>
    /// <param name="nodeOutputs">The first output of each quantized node to measure.</param>
    /// <param name="samples">The inputs.</param>
    /// <returns>The quantized model's own cosine, and one gain per node, the largest first.</returns>
    public static (double QuantizedCosine, IReadOnlyList<NodeCosineGain> Ranking) Rank(
        ModelProto original,
        ModelProto quantized,
        IReadOnlyList<string> nodeOutputs,
        IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> samples)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        var expected = Outputs(original, samples, options, out var outputNames);
        var baseline = MeanCosine(quantized, samples, expected, outputNames, options);
        var gains = new List<NodeCosineGain>(nodeOutputs.Count);
        foreach (var output in nodeOutputs)
        {
            var restored = RestoreNode(quantized, original, output);
            gains.Add(new NodeCosineGain(output, MeanCosine(restored, samples, expected, outputNames, options) - baseline));
        }

        return (baseline, [.. gains.OrderByDescending(g => g.Gain).ThenBy(g => g.Output, StringComparer.Ordinal)]);
    }

    /// <summary>A copy of <paramref name="quantized"/> whose node writing <paramref name="output"/> is the original's again.</summary>
    internal static ModelProto RestoreNode(ModelProto quantized, ModelProto original, string output)
    {
        var copy = quantized.Clone();
        var graph = copy.Graph;
        var index = IndexOf(graph, output);
        var source = original.Graph.Node[IndexOf(original.Graph, output)];
        var replaced = graph.Node[index];
        graph.Node[index] = source.Clone();

        var present = new HashSet<string>(graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        foreach (var input in source.Input)
        {
            if (!present.Contains(input) && original.Graph.Initializer.FirstOrDefault(i => i.Name == input) is { } initializer)
            {
                graph.Initializer.Add(initializer.Clone());
                present.Add(input);
            }
        }

        // The quantized node's own initializers (packed weights, scales) are read by nothing now; ONNX Runtime would warn.
        var read = new HashSet<string>(graph.Node.SelectMany(n => n.Input), StringComparer.Ordinal);
        foreach (var input in replaced.Input.Where(i => !read.Contains(i)).Distinct(StringComparer.Ordinal).ToList())
        {
            if (graph.Initializer.FirstOrDefault(i => i.Name == input) is { } unused && graph.Output.All(o => o.Name != input))
            {
                graph.Initializer.Remove(unused);
            }
        }

        return copy;
    }

    private static int IndexOf(GraphProto graph, string output)
    {
        for (var i = 0; i < graph.Node.Count; i++)
        {
            if (graph.Node[i].Output.Count > 0 && string.Equals(graph.Node[i].Output[0], output, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"The model has no node writing '{output}'.");
    }

    private static List<Dictionary<string, OutputValues>> Outputs(ModelProto model, IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> samples, SessionOptions options, out string[] outputNames)
    {
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model), options);
        outputNames = [.. session.OutputMetadata.Where(o => o.Value.IsTensor).Select(o => o.Key)];
        var runner = new SampleRunner(session, outputNames, "sensitivity reference");
        var result = new List<Dictionary<string, OutputValues>>(samples.Count);
        foreach (var sample in samples)
        {
            using var run = runner.Run(sample);
            result.Add(OutputValues.ReadAll(run));
        }

        return result;
    }

    private static double MeanCosine(ModelProto model, IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> samples, List<Dictionary<string, OutputValues>> expected, string[] outputNames, SessionOptions options)
    {
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model), options);
        var runner = new SampleRunner(session, outputNames, "sensitivity variant");
        var accumulators = outputNames.ToDictionary(n => n, _ => new AccuracyAccumulator(AccuracyRowLayout.LastAxis), StringComparer.Ordinal);
        for (var s = 0; s < samples.Count; s++)
        {
            using var run = runner.Run(samples[s]);
            foreach (var (name, actual) in OutputValues.ReadAll(run))
            {
                var reference = expected[s][name];
                if (reference.Values is { } want && actual.Values is { } got && want.Length == got.Length)
                {
                    accumulators[name].Add(want, got, reference.Shape);
                }
            }
        }

        // The worst output decides, as in the accuracy check of the optimizer.
        return accumulators.Values.Where(a => a.Rows > 0).Select(a => a.MeanCosine).DefaultIfEmpty(1).Min();
    }
}

/// <summary>How much putting one quantized node back to float raised the model's output cosine.</summary>
/// <param name="Output">The node's first output, which names it.</param>
/// <param name="Gain">The output cosine with only this node in float, less the fully quantized model's.</param>
internal sealed record NodeCosineGain(string Output, double Gain);
