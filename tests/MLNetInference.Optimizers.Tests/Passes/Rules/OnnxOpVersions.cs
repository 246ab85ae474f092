using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Tests.Passes.Rules;

/// <summary>
/// ONNX's operator history for the default-domain ops the rules match and emit, written down independently of the rules
/// so that a wrong declaration fails <see cref="RuleOpsetDeclarationsTests"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Versions</b> are the opsets at which ONNX (re)defined each op, from the summary table of onnx/onnx
/// <c>docs/Operators.md</c> (commit f754691, August 2026); ONNX Runtime's own registration of <c>LayerNormalization</c>
/// in the ONNX domain for versions 1 to 16 (the signature ONNX adopted at 17) is added, since ONNX Runtime runs it.
/// </para>
/// <para>
/// <b>Signature changes</b> are the versions at which the op's inputs or attributes changed (from <c>docs/Changelog.md</c>):
/// an attribute removed or moved to an input, an input or attribute added, or a default that changed. Versions that only
/// added element types are not signature changes. A declared range must not reach across one: a rule written against
/// both signatures lists one spec for each.
/// </para>
/// </remarks>
internal static class OnnxOpVersions
{
    /// <summary>The newest default-domain opset the table knows (the rules are checked at every opset up to it).</summary>
    public const long LatestOpset = 25;

    private static readonly Dictionary<string, (long[] Versions, long[] SignatureChanges, string Why)> Table = new(StringComparer.Ordinal)
    {
        ["Add"] = ([1, 6, 7, 13, 14], [6, 7], "6 drops consumed_inputs; 7 drops broadcast/axis for numpy broadcasting"),
        ["Sub"] = ([1, 6, 7, 13, 14], [6, 7], "as Add"),
        ["Mul"] = ([1, 6, 7, 13, 14], [6, 7], "as Add"),
        ["Div"] = ([1, 6, 7, 13, 14], [6, 7], "as Add"),
        ["Pow"] = ([1, 7, 12, 13, 15], [7], "7 drops broadcast/axis"),
        ["Sqrt"] = ([1, 6, 13], [6], "6 drops consumed_inputs"),
        ["Tanh"] = ([1, 6, 13], [6], "6 drops consumed_inputs"),
        ["Erf"] = ([9, 13], [], "new at 9"),
        ["Where"] = ([9, 16], [], "new at 9"),
        ["MatMul"] = ([1, 9, 13], [], "types only"),
        ["Gemm"] = ([1, 6, 7, 9, 11, 13], [7, 11], "7 drops broadcast (C broadcasts numpy-style); 11 makes C optional"),
        ["Transpose"] = ([1, 13, 21, 23, 24, 25], [], "types only"),
        ["Reshape"] = ([1, 5, 13, 14, 19, 21, 23, 24, 25], [5, 14], "5 moves shape to an input; 14 adds allowzero"),
        ["Cast"] = ([1, 6, 9, 13, 19, 21, 23, 24, 25], [6], "6 makes 'to' an integer (19's saturate applies only to float 8 types, which no rule reads or writes)"),
        ["Concat"] = ([1, 4, 11, 13], [4], "4 makes axis required (it defaulted to 1)"),
        ["Shape"] = ([1, 13, 15, 19, 21, 23, 24, 25], [15], "15 adds start and end"),
        ["Gather"] = ([1, 11, 13], [], "11 allows negative indices"),
        ["Unsqueeze"] = ([1, 11, 13, 21, 23, 24, 25], [13], "13 moves axes to an input"),
        ["Squeeze"] = ([1, 11, 13, 21, 23, 24, 25], [13], "13 moves axes to an input"),
        ["Slice"] = ([1, 10, 11, 13], [10], "10 moves starts/ends/axes to inputs and adds steps"),
        ["Softmax"] = ([1, 11, 13], [13], "13 works on axis alone instead of flattening to 2-D, and axis defaults to -1"),
        ["ReduceMean"] = ([1, 11, 13, 18], [18], "18 moves axes to an input and adds noop_with_empty_axes"),
        ["ReduceSum"] = ([1, 11, 13], [13], "13 moves axes to an input"),
        ["Split"] = ([1, 2, 11, 13, 18], [2, 13, 18], "2 makes split an attribute; 13 an input; 18 adds num_outputs"),
        ["Clip"] = ([1, 6, 11, 12, 13], [6, 11], "11 moves min and max to inputs"),
        ["Pad"] = ([1, 2, 11, 13, 18, 19, 21, 23, 24, 25], [2, 11, 18], "2 renames paddings to pads; 11 moves pads to an input; 18 adds axes"),
        ["LayerNormalization"] = ([1, 17], [], "ONNX's op from 17; ONNX Runtime registers the same signature in the ONNX domain for 1 to 16"),
        ["Gelu"] = ([20], [], "new at 20"),
        ["BatchNormalization"] = ([1, 6, 7, 9, 14, 15], [6, 7, 9, 14], "6 drops consumed_inputs; 7 drops is_test (it defaulted to training); 9 drops spatial; 14 adds training_mode"),
        ["Conv"] = ([1, 11, 22], [], "types and documentation only"),
        ["Flatten"] = ([1, 9, 11, 13, 21, 23, 24, 25], [], "types and negative axis only"),
        ["Dropout"] = ([1, 6, 7, 10, 12, 13, 22], [6, 7, 12], "7 drops is_test (it defaulted to training); 12 moves ratio to an input and adds training_mode"),
        ["Identity"] = ([1, 13, 14, 16, 19, 21, 23, 24, 25], [], "types only"),
    };

    /// <summary>Tells whether the table knows an op.</summary>
    public static bool Knows(string opType) => Table.ContainsKey(opType);

    /// <summary>
    /// Checks a default-domain spec against the table: it starts at a version where the op was defined, it ends (when it
    /// ends) just before one, and no signature change lies inside its range. Returns what is wrong, or <see langword="null"/>.
    /// </summary>
    public static string? Check(OpSpec spec)
    {
        if (!Table.TryGetValue(spec.OpType, out var entry))
        {
            return $"{spec}: the table of ONNX op versions does not know {spec.OpType}; add its history";
        }

        var (versions, changes, why) = entry;
        if (Array.IndexOf(versions, spec.SinceOpset) < 0)
        {
            return $"{spec}: {spec.OpType} was not (re)defined at opset {spec.SinceOpset} (versions {string.Join(", ", versions)})";
        }

        if (spec.UntilOpset is { } until)
        {
            if (until < spec.SinceOpset)
            {
                return $"{spec}: the range is empty";
            }

            if (until < LatestOpset && Array.IndexOf(versions, until + 1) < 0)
            {
                return $"{spec}: the range ends at {until}, but {spec.OpType} did not change at {until + 1} (versions {string.Join(", ", versions)})";
            }
        }

        foreach (var change in changes)
        {
            if (change > spec.SinceOpset && (spec.UntilOpset is null || change <= spec.UntilOpset))
            {
                return $"{spec}: the range reaches across {spec.OpType}'s signature change at {change} ({why}); declare one spec per signature";
            }
        }

        return null;
    }
}
