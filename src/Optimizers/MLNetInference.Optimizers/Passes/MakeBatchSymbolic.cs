using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// Cleanup: turns a batch dimension fixed at 1 into the symbolic <see cref="BatchDimensionRewriter.BatchDimensionName"/>
/// where a static check finds it safe (see <see cref="BatchDimensionRewriter.TryMakeBatchSymbolic"/>). A refusal is not
/// an error: the pass reports no change and says why in <see cref="LastMessage"/>.
/// </summary>
public sealed class MakeBatchSymbolic : ModelPass
{
    /// <inheritdoc />
    public override string Name => "make-batch-symbolic";

    /// <summary>Gets what the last run rewrote, or why it refused; <see langword="null"/> before the first run.</summary>
    public string? LastMessage { get; private set; }

    /// <inheritdoc />
    protected override bool RunCore(ModelProto model)
    {
        var changed = BatchDimensionRewriter.TryMakeBatchSymbolic(model, out var reason);
        LastMessage = reason;
        return changed;
    }
}
