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
        var rowA = new Dictionary<string, SampleTensor>(StringComparer.Ordinal);
        var rowB = new Dictionary<string, SampleTensor>(StringComparer.Ordinal);
        var pair = new Dictionary<string, SampleTensor>(StringComparer.Ordinal);
        var random = new Random(20240611);
        foreach (var name in names)
        {
            var meta = original.InputMetadata[name];
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
            (Array A, Array B, Array Pair)? rows = meta.ElementDataType switch
            {
                TensorElementType.Float => RandomFloats(random, rowSize),
                TensorElementType.Int64 => ZerosAndOnes<long>(rowSize),
                TensorElementType.Int32 => ZerosAndOnes<int>(rowSize),
                _ => null,
            };
            if (rows is not { } r)
            {
                note = $"input '{name}' has element type {meta.ElementDataType}, which the numerical check does not generate";
                return false;
            }

            rowA[name] = new SampleTensor(r.A, shape);
            rowB[name] = new SampleTensor(r.B, shape);
            pair[name] = new SampleTensor(r.Pair, pairShape);
        }

        try
        {
            var originalRunner = new SampleRunner(original, original.OutputNames, "original");
            var rewrittenRunner = new SampleRunner(rewritten, original.OutputNames, "rewritten");
            using var outA = originalRunner.Run(rowA);
            using var outB = originalRunner.Run(rowB);
            using var outPair = rewrittenRunner.Run(pair);
            var worst = 0.0;
            for (var o = 0; o < outA.Count; o++)
            {
                if (outA.GetElementType(o) != TensorElementType.Float)
                {
                    continue;
                }

                var a = outA.GetValues<float>(o);
                var b = outB.GetValues<float>(o);
                var p = outPair.GetValues<float>(o);
                if (p.Length != a.Length + b.Length)
                {
                    note = $"output '{outA.OutputNames[o]}' has {p.Length} values for two rows, expected {a.Length + b.Length}";
                    return false;
                }

                worst = Math.Max(worst, MaxRelativeDiff(a, p[..a.Length]));
                worst = Math.Max(worst, MaxRelativeDiff(b, p[a.Length..]));
            }

            note = $"a batch of two matched two single-row runs (max relative difference {worst:G3})";
            return worst <= 1e-4;
        }
        catch (Exception ex) when (ex is InferenceException or ArgumentException or InvalidOperationException)
        {
            note = $"running a batch of two failed: {ex.Message}";
            return false;
        }
    }

    private static (Array A, Array B, Array Pair) RandomFloats(Random random, long rowSize)
    {
        var a = new float[rowSize];
        var b = new float[rowSize];
        for (var k = 0; k < rowSize; k++)
        {
            a[k] = (float)random.NextDouble();
            b[k] = (float)random.NextDouble() * 2 - 1;
        }

        return (a, b, (float[])[.. a, .. b]);
    }

    private static (Array A, Array B, Array Pair) ZerosAndOnes<T>(long rowSize)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var a = new T[rowSize];
        var b = new T[rowSize];
        b.AsSpan().Fill(T.One);
        return (a, b, (T[])[.. a, .. b]);
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
}
