using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Passes.Rules;

/// <summary>A node that only forwards one value to another, found by <see cref="IdentityEliminationRule"/> or <see cref="DropoutEliminationRule"/>.</summary>
/// <param name="Node">The forwarding node.</param>
/// <param name="Source">The value it reads.</param>
/// <param name="Target">The value it writes, whose readers will read <paramref name="Source"/> instead.</param>
public sealed record ValueForwardingMatch(NodeProto Node, string Source, string Target);
