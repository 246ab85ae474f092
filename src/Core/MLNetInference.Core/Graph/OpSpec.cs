namespace MLNetInference.Core.Graph;

/// <summary>
/// An operator as a rewrite rule matches or emits it: its op type, its domain, and the opset versions of that domain
/// at which the rule has been written against its definition.
/// </summary>
/// <param name="OpType">The op type, such as <c>MatMul</c>.</param>
/// <param name="Domain">The domain; <c>""</c> (the default) for the ONNX domain, <see cref="OpsetInfo.MicrosoftDomain"/> for ONNX Runtime's contrib ops.</param>
/// <param name="SinceOpset">The lowest opset version of <paramref name="Domain"/> the op is matched at, or that an emitted op needs.</param>
/// <param name="UntilOpset">The highest opset version the op is matched at; <see langword="null"/> when no later version is known to change it.</param>
public sealed record OpSpec(string OpType, string Domain = OpsetInfo.OnnxDomain, long SinceOpset = 1, long? UntilOpset = null)
{
    /// <summary>Describes an op of the ONNX domain.</summary>
    /// <param name="opType">The op type.</param>
    /// <param name="sinceOpset">The lowest default-domain opset version.</param>
    /// <param name="untilOpset">The highest default-domain opset version, or <see langword="null"/> for no known limit.</param>
    /// <returns>The spec.</returns>
    public static OpSpec Onnx(string opType, long sinceOpset = 1, long? untilOpset = null) => new(opType, OpsetInfo.OnnxDomain, sinceOpset, untilOpset);

    /// <summary>Describes a <c>com.microsoft</c> contrib op of ONNX Runtime.</summary>
    /// <param name="opType">The op type.</param>
    /// <param name="sinceOpset">The lowest <c>com.microsoft</c> opset version (1 for every contrib op this library uses).</param>
    /// <returns>The spec.</returns>
    public static OpSpec Microsoft(string opType, long sinceOpset = 1) => new(opType, OpsetInfo.MicrosoftDomain, sinceOpset);

    /// <summary>Tells whether an imported opset version lies in <see cref="SinceOpset"/>..<see cref="UntilOpset"/>.</summary>
    /// <param name="version">The version the model imports for <see cref="Domain"/>.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    public bool Covers(long version) => version >= SinceOpset && (UntilOpset is null || version <= UntilOpset);

    /// <summary>Describes the spec as <c>domain:OpType[since..until]</c>, for messages.</summary>
    /// <returns>The description, such as <c>ai.onnx:Erf[9..]</c>.</returns>
    public override string ToString() =>
        $"{(Domain.Length == 0 ? "ai.onnx" : Domain)}:{OpType}[{SinceOpset}..{UntilOpset?.ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
}
