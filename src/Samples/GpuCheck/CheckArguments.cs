using System.Globalization;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Samples.GpuCheck;

/// <summary>The command line of the GPU check.</summary>
internal sealed record CheckArguments(string ModelPath, ExecutionProvider? Expect, double Seconds, int Rounds)
{
    public static CheckArguments? Parse(string[] args)
    {
        string? model = null;
        ExecutionProvider? expect = null;
        double seconds = 2;
        var rounds = 3;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--model":
                    model = args[i + 1];
                    break;
                case "--expect":
                    expect = args[i + 1] == "cuda" ? ExecutionProvider.Cuda : args[i + 1] == "cpu" ? ExecutionProvider.Cpu : null;
                    break;
                case "--seconds":
                    seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--rounds":
                    rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    return null;
            }
        }

        return model is null || !File.Exists(model) ? null : new CheckArguments(model, expect, seconds, rounds);
    }
}
