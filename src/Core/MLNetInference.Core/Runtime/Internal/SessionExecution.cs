using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Core.Runtime.Internal;

/// <summary>
/// The one place that calls <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>:
/// run options, cancellation and the mapping of runtime errors to <see cref="InferenceException"/>.
/// Used by <see cref="BatchRunner"/> and <see cref="SampleRunner"/>.
/// </summary>
internal static class SessionExecution
{
    public static IDisposableReadOnlyCollection<OrtValue> Run(
        InferenceSession session,
        string modelName,
        IReadOnlyCollection<string> inputNames,
        IReadOnlyCollection<OrtValue> inputValues,
        IReadOnlyCollection<string> outputNames,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        CancellationTokenRegistration registration = default;
        try
        {
            if (cancellationToken.CanBeCanceled)
            {
                // PERF: one registration per call, not per row; Terminate stops a long Run between kernels.
                registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
            }

            return session.Run(runOptions, inputNames, inputValues, outputNames);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The run of model '{modelName}' was cancelled.", cancellationToken);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InferenceException(modelName, $"ONNX Runtime failed while running model '{modelName}': {ex.Message}", ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw new InferenceException(modelName, $"Model '{modelName}' was disposed while it was running.", ex);
        }
        finally
        {
            // The registration goes before the run options it points at.
            registration.Dispose();
        }
    }
}
