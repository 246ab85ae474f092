using MLNetInference.Core.Runtime;

namespace MLNetInference.Optimizers.Verification.Internal;

/// <summary>One output of one run, widened to doubles, or the reason it could not be read.</summary>
internal sealed record OutputValues(long[] Shape, double[]? Values, string? Problem)
{
    /// <summary>Reads every output of a run.</summary>
    public static Dictionary<string, OutputValues> ReadAll(SampleResult result)
    {
        var outputs = new Dictionary<string, OutputValues>(StringComparer.Ordinal);
        for (var o = 0; o < result.Count; o++)
        {
            outputs[result.OutputNames[o]] = !result.IsTensor(o)
                ? new OutputValues([], null, "the output is not a tensor")
                : result.TryToDoubleArray(o, out var values)
                    ? new OutputValues(result.GetShape(o), values, null)
                    : new OutputValues(result.GetShape(o), null, $"element type {result.GetElementType(o)} is not compared");
        }

        return outputs;
    }
}
