using MLNetInference.Core.Runtime;

namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>
/// What the <c>int8-static</c> recipe step calibrates on: the caller's inputs (one dictionary of named tensors per
/// model run, read once, streaming) and the quantization settings.
/// </summary>
public sealed class CalibrationData
{
    /// <summary>Initializes a new instance of the <see cref="CalibrationData"/> class.</summary>
    /// <param name="samples">The inputs, one dictionary of named inputs per run, as the model declares them.</param>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="samples"/> is <see langword="null"/>.</exception>
    public CalibrationData(IEnumerable<IReadOnlyDictionary<string, SampleTensor>> samples, StaticInt8Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        Samples = samples;
        Options = options ?? new StaticInt8Options();
    }

    /// <summary>Gets the calibration inputs.</summary>
    public IEnumerable<IReadOnlyDictionary<string, SampleTensor>> Samples { get; }

    /// <summary>Gets the quantization settings.</summary>
    public StaticInt8Options Options { get; }
}
