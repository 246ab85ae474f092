using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Pipeline.Tests;

/// <summary>
/// Counts the ONNX Runtime sessions that finish initializing in this process, whoever builds them (our factory or
/// ML.NET's own <c>OnnxTransformer</c>), from ONNX Runtime's own log: the test run's environment is created with a
/// logging callback, and a capture raises the level to INFO, at which every session logs "Session successfully
/// initialized.". A session whose own log level is set above INFO (ML.NET sets WARNING unless its context says
/// otherwise) is not seen, so tests give ML.NET's context INFO too.
/// </summary>
[TestClass]
public sealed class OrtSessionLog
{
    private const string SessionInitialized = "Session successfully initialized.";

    // The callback must outlive the environment, which native code calls back through.
    private static readonly DOrtLoggingFunction Callback = OnLog;
    private static int s_sessions;
    private static int s_capturing;

    [AssemblyInitialize]
    public static void CreateEnvironment(TestContext context)
    {
        var options = new EnvironmentCreationOptions
        {
            logId = "MLNetInference.Pipeline.Tests",
            logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            loggingFunction = Callback,
        };
        OrtEnv.CreateInstanceWithOptions(ref options);
    }

    /// <summary>Starts counting sessions; dispose the capture to stop.</summary>
    public static Capture Start()
    {
        if (Interlocked.Exchange(ref s_capturing, 1) != 0)
        {
            throw new InvalidOperationException("Only one capture at a time.");
        }

        Volatile.Write(ref s_sessions, 0);
        OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO;
        return new Capture();
    }

    private static void OnLog(IntPtr param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
        if (Volatile.Read(ref s_capturing) != 0 && message.Contains(SessionInitialized, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref s_sessions);
        }

        if (severity >= OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING)
        {
            Console.Error.WriteLine($"[onnxruntime {severity}] {codeLocation} {message}");
        }
    }

    public sealed class Capture : IDisposable
    {
        /// <summary>Gets how many sessions finished initializing since the capture started.</summary>
        public int SessionsInitialized => Volatile.Read(ref s_sessions);

        public void Dispose()
        {
            OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
            Volatile.Write(ref s_capturing, 0);
        }
    }
}
