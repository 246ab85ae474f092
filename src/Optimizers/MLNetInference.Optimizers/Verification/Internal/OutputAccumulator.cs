namespace MLNetInference.Optimizers.Verification.Internal;

/// <summary>Accumulates the comparison of one output over samples, or the reason it could not be compared.</summary>
internal sealed class OutputAccumulator
{
    private readonly AccuracyAccumulator _accuracy = new(AccuracyRowLayout.LastAxis);
    private long[]? _shape;
    private string? _problem;

    public OutputAccumulator(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public void Fail(string problem) => _problem ??= problem;

    public void Add(OutputValues expected, OutputValues actual)
    {
        _shape ??= expected.Shape;
        if (_problem is not null)
        {
            return;
        }

        if (expected.Problem is not null || actual.Problem is not null)
        {
            Fail(expected.Problem ?? actual.Problem!);
            return;
        }

        if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
        {
            Fail($"the shapes differ: [{string.Join(", ", expected.Shape)}] in the original, [{string.Join(", ", actual.Shape)}] in the optimized model");
            return;
        }

        _accuracy.Add(expected.Values!, actual.Values!, expected.Shape);
    }

    public OutputComparison ToComparison()
    {
        return _problem is not null
            ? new OutputComparison(Name, _shape ?? [], double.MaxValue, 0, 0, 0, _problem)
            : new OutputComparison(Name, _shape ?? [], _accuracy.MaxAbsDiff, _accuracy.MeanCosine, _accuracy.MinCosine, _accuracy.Top1Agreement);
    }
}
