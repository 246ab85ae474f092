using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Graph;

/// <summary>
/// The one place that reads opset imports and compares op types, domains and opset versions, like ONNX Runtime's
/// <c>graph_utils::IsSupportedOptypeVersionAndDomain</c>. Rules and passes ask it instead of reading
/// <see cref="ModelProto.OpsetImport"/> or <see cref="NodeProto.Domain"/> themselves.
/// </summary>
/// <remarks>
/// The domains <c>""</c> and <c>"ai.onnx"</c> are the same (the ONNX domain). An op's version is the version its model
/// imports for the op's domain; a node of a domain the model does not import is never supported.
/// </remarks>
public static class OpsetInfo
{
    /// <summary>The ONNX (default) domain as this library writes it.</summary>
    public const string OnnxDomain = "";

    /// <summary>The domain of ONNX Runtime's contrib operators.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>Normalizes a domain name: <c>"ai.onnx"</c> becomes <c>""</c>; any other name is returned as is.</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>The normalized domain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is <see langword="null"/>.</exception>
    public static string NormalizeDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return domain == "ai.onnx" ? OnnxDomain : domain;
    }

    /// <summary>Tells whether a node belongs to a domain.</summary>
    /// <param name="node">The node.</param>
    /// <param name="domain">The domain; <c>""</c> and <c>"ai.onnx"</c> both mean the ONNX domain.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static bool IsInDomain(NodeProto node, string domain)
    {
        ArgumentNullException.ThrowIfNull(node);
        return NormalizeDomain(node.Domain) == NormalizeDomain(domain);
    }

    /// <summary>Tells whether a node belongs to the ONNX (default) domain.</summary>
    /// <param name="node">The node.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="node"/> is <see langword="null"/>.</exception>
    public static bool IsOnnxDomain(NodeProto node) => IsInDomain(node, OnnxDomain);

    /// <summary>Tells whether a node has an op type in a domain, whatever the opset.</summary>
    /// <param name="node">The node.</param>
    /// <param name="opType">The op type.</param>
    /// <param name="domain">The domain; the ONNX domain by default.</param>
    /// <returns><see langword="true"/> when both agree.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static bool IsOp(NodeProto node, string opType, string domain = OnnxDomain)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(opType);
        return node.OpType == opType && IsInDomain(node, domain);
    }

    /// <summary>Gets the opset version a model imports for a domain.</summary>
    /// <param name="model">The model.</param>
    /// <param name="domain">The domain; <c>""</c> and <c>"ai.onnx"</c> both mean the ONNX domain.</param>
    /// <returns>The version, or <see langword="null"/> when the model does not import the domain.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static long? GetImportedVersion(ModelProto model, string domain)
    {
        ArgumentNullException.ThrowIfNull(model);
        var key = NormalizeDomain(domain);
        foreach (var opset in model.OpsetImport)
        {
            if (NormalizeDomain(opset.Domain) == key)
            {
                return opset.Version;
            }
        }

        return null;
    }

    /// <summary>Gets the ONNX (default-domain) opset version a model imports.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The version, or <see langword="null"/> when the model imports no default-domain opset.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    public static long? GetDefaultOpset(ModelProto model) => GetImportedVersion(model, OnnxDomain);

    /// <summary>Tells whether a graph's model imports the spec's domain at a version the spec covers.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="spec">The op.</param>
    /// <returns><see langword="true"/> when the op is available at the model's opset.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static bool IsSupported(OnnxGraph graph, OpSpec spec)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(spec);
        return graph.GetOpsetVersion(spec.Domain) is { } version && spec.Covers(version);
    }

    /// <summary>
    /// Tells whether a node is the spec's op: same op type and domain, and the model imports that domain at a version
    /// the spec covers (ONNX Runtime's <c>IsSupportedOptypeVersionAndDomain</c>).
    /// </summary>
    /// <param name="graph">The graph the node belongs to.</param>
    /// <param name="node">The node.</param>
    /// <param name="spec">The op type, domain and versions.</param>
    /// <returns><see langword="true"/> when the node matches.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static bool IsSupported(OnnxGraph graph, NodeProto node, OpSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return IsOp(node, spec.OpType, spec.Domain) && IsSupported(graph, spec);
    }

    /// <summary>Tells whether a node has an op type and domain, and its model imports that domain at a version in a range.</summary>
    /// <param name="graph">The graph the node belongs to.</param>
    /// <param name="node">The node.</param>
    /// <param name="opType">The op type.</param>
    /// <param name="sinceOpset">The lowest opset version.</param>
    /// <param name="untilOpset">The highest opset version, or <see langword="null"/> for no limit.</param>
    /// <param name="domain">The domain; the ONNX domain by default.</param>
    /// <returns><see langword="true"/> when the node matches.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static bool IsSupported(OnnxGraph graph, NodeProto node, string opType, long sinceOpset, long? untilOpset = null, string domain = OnnxDomain) =>
        IsSupported(graph, node, new OpSpec(opType, domain, sinceOpset, untilOpset));
}
