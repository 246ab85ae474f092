using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers.Verification.Internal;

namespace MLNetInference.Optimizers.Verification;

/// <summary>
/// Runs an original and an optimized model on the same inputs with ONNX Runtime (CPU) and compares every output of
/// the original: max abs diff, row cosine (for embeddings) and top-1 agreement (for classifiers), as
/// <see cref="AccuracyAccumulator"/> measures them row by row (<see cref="AccuracyRowLayout.LastAxis"/>).
/// </summary>
public static class ModelVerifier
{
    /// <summary>Compares two models on inputs made from the original's declared inputs (see <see cref="SampleInputGenerator"/>).</summary>
    /// <param name="original">The original serialized model.</param>
    /// <param name="optimized">The optimized serialized model.</param>
    /// <param name="inputOptions">How to make the inputs; defaults when <see langword="null"/>.</param>
    /// <param name="options">How to run the models; defaults when <see langword="null"/>.</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="MLNetInference.Core.Onnx.OnnxFormatException">The original is not an ONNX model.</exception>
    /// <exception cref="OnnxModelLoadException">ONNX Runtime cannot load a model; the message says which and why.</exception>
    /// <exception cref="InferenceException">ONNX Runtime cannot run a model; the message names it.</exception>
    public static VerificationReport Compare(byte[] original, byte[] optimized, SampleInputOptions? inputOptions = null, VerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(optimized);
        return Compare(original, optimized, SampleInputGenerator.Generate(original, inputOptions), options);
    }

    /// <summary>Compares two models on the given inputs.</summary>
    /// <param name="original">The original serialized model.</param>
    /// <param name="optimized">The optimized serialized model.</param>
    /// <param name="samples">One dictionary of named inputs per sample.</param>
    /// <param name="options">How to run the models; defaults when <see langword="null"/>.</param>
    /// <returns>The comparison, one entry per output of the original model.</returns>
    /// <exception cref="ArgumentException"><paramref name="samples"/> is empty, or a sample's data does not match its shape or has an unsupported type.</exception>
    /// <exception cref="InvalidInputException">A sample lacks an input of a model or gives it another element type.</exception>
    /// <exception cref="OnnxModelLoadException">ONNX Runtime cannot load a model; the message says which and why.</exception>
    /// <exception cref="InferenceException">ONNX Runtime cannot run a model; the message names it.</exception>
    public static VerificationReport Compare(
        byte[] original,
        byte[] optimized,
        IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> samples,
        VerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(optimized);
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            throw new ArgumentException("At least one sample is needed to compare two models.", nameof(samples));
        }

        options ??= new VerificationOptions();
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.OptimizationLevel,
            IntraOpNumThreads = options.IntraOpThreads,
        };
        using var originalSession = Open(original, sessionOptions, "original");
        using var optimizedSession = Open(optimized, sessionOptions, "optimized");
        var outputNames = originalSession.OutputMetadata.Keys.ToArray();
        var optimizedOutputs = new HashSet<string>(optimizedSession.OutputMetadata.Keys, StringComparer.Ordinal);
        var accumulators = outputNames.Select(n => new OutputAccumulator(n)).ToArray();
        var comparable = outputNames.Where(optimizedOutputs.Contains).ToArray();
        foreach (var accumulator in accumulators)
        {
            if (!optimizedOutputs.Contains(accumulator.Name))
            {
                accumulator.Fail("the optimized model has no output of this name");
            }
        }

        var originalRunner = new SampleRunner(originalSession, outputNames, "original");
        var optimizedRunner = comparable.Length == 0 ? null : new SampleRunner(optimizedSession, comparable, "optimized");
        foreach (var sample in samples)
        {
            var expected = Read(originalRunner, sample);
            var actual = optimizedRunner is null ? [] : Read(optimizedRunner, sample);
            foreach (var accumulator in accumulators)
            {
                if (actual.TryGetValue(accumulator.Name, out var got))
                {
                    accumulator.Add(expected[accumulator.Name], got);
                }
            }
        }

        return new VerificationReport(samples.Count, accumulators.Select(a => a.ToComparison()).ToArray());
    }

    private static InferenceSession Open(byte[] model, SessionOptions options, string which)
    {
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException ex)
        {
            // A model that passes our checks can still be one ONNX Runtime rejects (an unknown operator, a type error).
            throw new OnnxModelLoadException($"{which} model", $"ONNX Runtime could not load the {which} model to verify it: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, OutputValues> Read(SampleRunner runner, IReadOnlyDictionary<string, SampleTensor> sample)
    {
        using var result = runner.Run(sample);
        return OutputValues.ReadAll(result);
    }
}
