using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// A sample turned into ONNX Runtime inputs by <see cref="SampleRunner.Bind"/>, ready to run any number of times.
/// Owns the input tensors, which pin the sample's arrays, until disposed.
/// </summary>
public sealed class SampleBinding : IDisposable
{
    private readonly OrtValue[] _values;
    private bool _disposed;

    internal SampleBinding(SampleRunner runner, OrtValue[] values)
    {
        Runner = runner;
        _values = values;
    }

    internal SampleRunner Runner { get; }

    internal OrtValue[] Values
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _values;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var value in _values)
        {
            value.Dispose();
        }
    }
}
