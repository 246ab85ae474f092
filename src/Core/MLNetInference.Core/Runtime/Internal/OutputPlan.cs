using MLNetInference.Core.Runtime;

namespace MLNetInference.Core.Runtime.Internal;

/// <summary>How one model output is sliced per row: which row axes follow which input length.</summary>
internal sealed class OutputPlan
{
    public OutputPlan(TensorMetadata meta, int[] axisLengthKeys, bool[] axisIsAmbiguous)
    {
        Meta = meta;
        AxisLengthKeys = axisLengthKeys;
        AxisIsAmbiguous = axisIsAmbiguous;
    }

    public TensorMetadata Meta { get; }

    /// <summary>For each row axis (batch excluded), the length key whose padding it carries, or -1.</summary>
    public int[] AxisLengthKeys { get; }

    /// <summary>For each row axis, whether it is dynamic without a name that ties it to an input; it is un-padded when its size equals the padded length.</summary>
    public bool[] AxisIsAmbiguous { get; }
}
