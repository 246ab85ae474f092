using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Core.Runtime.Internal;

/// <summary>How one model input is packed: its fixed row size, or its variable axis and the blocks around it.</summary>
internal sealed class InputPlan
{
    public InputPlan(TensorMetadata meta, int variableAxis, long outer, long inner, long fixedRowSize, int lengthKey, double padValue)
    {
        Meta = meta;
        VariableAxis = variableAxis;
        Outer = outer;
        Inner = inner;
        FixedRowSize = fixedRowSize;
        LengthKey = lengthKey;
        PadValue = padValue;
    }

    public TensorMetadata Meta { get; }

    public string Name => Meta.Name;

    public TensorElementType ElementType => Meta.ElementType;

    /// <summary>The variable axis among the row's dimensions (batch excluded), or -1.</summary>
    public int VariableAxis { get; }

    /// <summary>The product of the fixed row dimensions before the variable axis.</summary>
    public long Outer { get; }

    /// <summary>The product of the fixed row dimensions after the variable axis.</summary>
    public long Inner { get; }

    /// <summary>The number of values in a row when there is no variable axis.</summary>
    public long FixedRowSize { get; }

    /// <summary>The index of the length this input's variable axis shares with others, or -1.</summary>
    public int LengthKey { get; }

    public double PadValue { get; }

    public bool IsVariable => VariableAxis >= 0;
}
