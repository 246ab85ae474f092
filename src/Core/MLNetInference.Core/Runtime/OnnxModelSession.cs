using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// A loaded model: the ONNX Runtime session, its metadata, the execution provider that was actually used,
/// and how it takes batches. Created by <see cref="OnnxSessionFactory"/>; owns and disposes the session.
/// </summary>
public sealed class OnnxModelSession : IDisposable
{
    private readonly long _memoryPressure;
    private int _disposed;

    internal OnnxModelSession(
        InferenceSession session,
        string modelName,
        ExecutionProvider provider,
        int deviceId,
        BatchSupport batchSupport,
        string batchSupportReason,
        OnnxSessionOptions options,
        long modelSize = 0)
    {
        Session = session;
        ModelName = modelName;
        ExecutionProvider = provider;
        DeviceId = deviceId;
        BatchSupport = batchSupport;
        BatchSupportReason = batchSupportReason;
        Options = options;
        Metadata = ModelMetadata.FromSession(session);
        OnnxSessionMetrics.SessionCreated();

        // The session's weights live in native memory the GC does not see; telling it lets a reload's garbage (the
        // previous version's managed model bytes) be collected before the next version piles up beside it.
        _memoryPressure = modelSize;
        if (_memoryPressure > 0)
        {
            GC.AddMemoryPressure(_memoryPressure);
        }
    }

    /// <summary>Gets the underlying ONNX Runtime session. It is safe for concurrent <c>Run</c> calls.</summary>
    public InferenceSession Session { get; }

    /// <summary>Gets the file path or name the model was loaded from.</summary>
    public string ModelName { get; }

    /// <summary>Gets the execution provider the session actually runs on (after any fallback).</summary>
    public ExecutionProvider ExecutionProvider { get; }

    /// <summary>Gets the CUDA device id when <see cref="ExecutionProvider"/> is CUDA.</summary>
    public int DeviceId { get; }

    /// <summary>Gets how the model takes batches.</summary>
    public BatchSupport BatchSupport { get; }

    /// <summary>Gets a sentence that says why <see cref="BatchSupport"/> has its value.</summary>
    public string BatchSupportReason { get; }

    /// <summary>Gets the model's inputs and outputs.</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>Gets the settings the session was created with.</summary>
    public OnnxSessionOptions Options { get; }

    /// <summary>Gets whether the session has been disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Session.Dispose();
            OnnxSessionMetrics.SessionDisposed();
            if (_memoryPressure > 0)
            {
                GC.RemoveMemoryPressure(_memoryPressure);
            }

            // A reload disposes the old version's sessions: return their native memory to the OS.
            Internal.NativeHeap.Trim();
        }
    }
}
