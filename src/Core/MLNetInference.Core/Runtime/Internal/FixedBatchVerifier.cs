using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetInference.Core.Runtime.Internal;

/// <summary>
/// Checks numerically that a model whose batch dimension was rewritten from 1 to symbolic gives, for a
/// batch of two different rows, what the original gives for each row alone.
/// </summary>
internal static class FixedBatchVerifier
{
    private const int UnknownDimension = 4;

    public static bool Verify(InferenceSession original, InferenceSession rewritten, out string note)
    {
        var names = original.InputNames;
        var rowA = new OrtValue[names.Count];
        var rowB = new OrtValue[names.Count];
        var pair = new OrtValue[names.Count];
        var random = new Random(20240611);
        try
        {
            for (var i = 0; i < names.Count; i++)
            {
                var meta = original.InputMetadata[names[i]];
                var shape = new long[meta.Dimensions.Length];
                long rowSize = 1;
                for (var d = 1; d < shape.Length; d++)
                {
                    shape[d] = meta.Dimensions[d] > 0 ? meta.Dimensions[d] : UnknownDimension;
                    rowSize *= shape[d];
                }

                shape[0] = 1;
                var pairShape = (long[])shape.Clone();
                pairShape[0] = 2;
                switch (meta.ElementDataType)
                {
                    case TensorElementType.Float:
                        var a = new float[rowSize];
                        var b = new float[rowSize];
                        for (var k = 0; k < rowSize; k++)
                        {
                            a[k] = (float)random.NextDouble();
                            b[k] = (float)random.NextDouble() * 2 - 1;
                        }

                        rowA[i] = OrtValue.CreateTensorValueFromMemory(a, shape);
                        rowB[i] = OrtValue.CreateTensorValueFromMemory(b, shape);
                        pair[i] = OrtValue.CreateTensorValueFromMemory([.. a, .. b], pairShape);
                        break;
                    case TensorElementType.Int64:
                        var la = new long[rowSize];
                        var lb = new long[rowSize];
                        lb.AsSpan().Fill(1);
                        rowA[i] = OrtValue.CreateTensorValueFromMemory(la, shape);
                        rowB[i] = OrtValue.CreateTensorValueFromMemory(lb, shape);
                        pair[i] = OrtValue.CreateTensorValueFromMemory([.. la, .. lb], pairShape);
                        break;
                    case TensorElementType.Int32:
                        var ia = new int[rowSize];
                        var ib = new int[rowSize];
                        ib.AsSpan().Fill(1);
                        rowA[i] = OrtValue.CreateTensorValueFromMemory(ia, shape);
                        rowB[i] = OrtValue.CreateTensorValueFromMemory(ib, shape);
                        pair[i] = OrtValue.CreateTensorValueFromMemory([.. ia, .. ib], pairShape);
                        break;
                    default:
                        note = $"input '{names[i]}' has element type {meta.ElementDataType}, which the numerical check does not generate";
                        return false;
                }
            }

            using var runOptions = new RunOptions();
            using var outA = original.Run(runOptions, names, rowA, original.OutputNames);
            using var outB = original.Run(runOptions, names, rowB, original.OutputNames);
            using var outPair = rewritten.Run(runOptions, names, pair, rewritten.OutputNames);
            var worst = 0.0;
            for (var o = 0; o < outA.Count; o++)
            {
                if (outA[o].GetTensorTypeAndShape().ElementDataType != TensorElementType.Float)
                {
                    continue;
                }

                var a = outA[o].GetTensorDataAsSpan<float>();
                var b = outB[o].GetTensorDataAsSpan<float>();
                var p = outPair[o].GetTensorDataAsSpan<float>();
                if (p.Length != a.Length + b.Length)
                {
                    note = $"output '{original.OutputNames[o]}' has {p.Length} values for two rows, expected {a.Length + b.Length}";
                    return false;
                }

                worst = Math.Max(worst, MaxRelativeDiff(a, p[..a.Length]));
                worst = Math.Max(worst, MaxRelativeDiff(b, p[a.Length..]));
            }

            note = $"a batch of two matched two single-row runs (max relative difference {worst:G3})";
            return worst <= 1e-4;
        }
        catch (OnnxRuntimeException ex)
        {
            note = $"running a batch of two failed: {ex.Message}";
            return false;
        }
        finally
        {
            DisposeAll(rowA);
            DisposeAll(rowB);
            DisposeAll(pair);
        }
    }

    private static double MaxRelativeDiff(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs(expected[i] - actual[i]) / (1.0 + Math.Abs(expected[i]));
            if (diff > worst || double.IsNaN(diff))
            {
                worst = double.IsNaN(diff) ? double.PositiveInfinity : diff;
            }
        }

        return worst;
    }

    private static void DisposeAll(OrtValue[] values)
    {
        foreach (var value in values)
        {
            value?.Dispose();
        }
    }
}
