using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Fusion;
using MLNetInference.Models;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

/// <summary>Small decomposed transformer pieces, and a helper that fuses a model and checks it against the original in ORT.</summary>
internal static class FusionTestGraphs
{
    public const int Hidden = 8;

    public static float[] Values(int count, float scale, float offset = 0f) =>
        [.. Enumerable.Range(0, count).Select(i => offset + (scale * MathF.Sin((i * 1.7f) + 0.3f)))];

    /// <summary>Appends the decomposed layer norm of <paramref name="x"/> (axis -1), writing <paramref name="y"/>.</summary>
    public static TestModelBuilder LayerNorm(this TestModelBuilder b, string x, string y, string prefix, float epsilon = 1e-12f)
    {
        b.Float(prefix + "two", [], 2f)
            .Float(prefix + "eps", [], epsilon)
            .Float(prefix + "gamma", [Hidden], Values(Hidden, 0.3f, 1f))
            .Float(prefix + "beta", [Hidden], Values(Hidden, 0.2f))
            .Node("ReduceMean", prefix + "mean", [x], [prefix + "m"]);
        LastAxes(b);
        b.Node("Sub", prefix + "sub", [x, prefix + "m"], [prefix + "d"])
            .Node("Pow", prefix + "pow", [prefix + "d", prefix + "two"], [prefix + "sq"])
            .Node("ReduceMean", prefix + "var", [prefix + "sq"], [prefix + "v"]);
        LastAxes(b);
        return b.Node("Add", prefix + "addeps", [prefix + "v", prefix + "eps"], [prefix + "ve"])
            .Node("Sqrt", prefix + "sqrt", [prefix + "ve"], [prefix + "std"])
            .Node("Div", prefix + "div", [prefix + "d", prefix + "std"], [prefix + "n"])
            .Node("Mul", prefix + "mul", [prefix + "n", prefix + "gamma"], [prefix + "g"])
            .Node("Add", prefix + "addbeta", [prefix + "g", prefix + "beta"], [y]);
    }

    /// <summary>Appends the erf GELU of <paramref name="x"/> as MiniLM writes it, writing <paramref name="y"/>.</summary>
    public static TestModelBuilder Gelu(this TestModelBuilder b, string x, string y, string prefix, bool halfFirst = false)
    {
        b.Float(prefix + "sqrt2", [], 1.4142135f).Float(prefix + "one", [], 1f).Float(prefix + "half", [], 0.5f)
            .Node("Div", prefix + "div", [x, prefix + "sqrt2"], [prefix + "s"])
            .Node("Erf", prefix + "erf", [prefix + "s"], [prefix + "e"])
            .Node("Add", prefix + "add1", [prefix + "e", prefix + "one"], [prefix + "e1"]);
        return halfFirst
            ? b.Node("Mul", prefix + "halfx", [x, prefix + "half"], [prefix + "hx"])
                .Node("Mul", prefix + "mul", [prefix + "hx", prefix + "e1"], [y])
            : b.Node("Mul", prefix + "mulx", [x, prefix + "e1"], [prefix + "xe"])
                .Node("Mul", prefix + "mulhalf", [prefix + "xe", prefix + "half"], [y]);
    }

    private static void LastAxes(TestModelBuilder b) =>
        b.Build().Graph.Node[^1].Attribute.Add(new AttributeProto
        {
            Name = "axes",
            Type = AttributeProto.Types.AttributeType.Ints,
            Ints = { -1L },
        });

    /// <summary>Runs the fusion passes to a fixpoint, then compares the result with the original in ORT.</summary>
    public static (ModelProto Fused, VerificationReport Report) FuseAndVerify(byte[] original, SampleInputOptions? inputs = null)
    {
        var model = OnnxModelIO.Parse(original);
        var manager = new PassManager(FusionPasses.Create());
        manager.Run(model);
        Assert.IsTrue(manager.LastReport!.ReachedFixpoint);
        var report = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(model), inputs ?? new SampleInputOptions { SampleCount = 2, BatchSize = 2, SequenceLength = 3 });
        Assert.IsTrue(report.AllCompared, string.Join("; ", report.Outputs.Select(o => o.Problem)));
        return (model, report);
    }

    public static int Count(ModelProto model, string opType) => model.Graph.Node.Count(n => n.OpType == opType);
}
