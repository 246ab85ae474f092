using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Graph;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Runtime.Internal;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// Creates ONNX Runtime sessions with the requested execution provider, threads, optimization level and
/// cache file, falls back from CUDA to the CPU with a logged warning, and rewrites a batch dimension fixed
/// at 1 to a symbolic one where that is safe.
/// </summary>
public sealed partial class OnnxSessionFactory
{
    private readonly ILogger _logger;

    /// <summary>Creates a factory.</summary>
    /// <param name="logger">Receives fallback warnings and load information; optional.</param>
    public OnnxSessionFactory(ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Loads a model from a file.</summary>
    /// <param name="modelPath">The <c>.onnx</c> file.</param>
    /// <param name="options">Session settings; defaults when <see langword="null"/>.</param>
    /// <returns>The loaded model, which the caller owns and disposes.</returns>
    /// <exception cref="OnnxModelLoadException">The file is missing, corrupt, truncated or not loadable, or CUDA was required and is unavailable.</exception>
    public OnnxModelSession Create(string modelPath, OnnxSessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        options = (options ?? new OnnxSessionOptions()).Clone();
        options.Validate();
        if (!File.Exists(modelPath))
        {
            throw new OnnxModelLoadException(
                modelPath,
                $"The ONNX model file '{modelPath}' does not exist. Check the path, or build the repository so that models/cache is filled.",
                new FileNotFoundException(null, modelPath));
        }

        return CreateCore(new ModelSource(modelPath, null), options);
    }

    /// <summary>Loads a model held in memory.</summary>
    /// <param name="modelBytes">The serialized model.</param>
    /// <param name="options">Session settings; defaults when <see langword="null"/>.</param>
    /// <param name="modelName">A name for the model in logs and errors.</param>
    /// <returns>The loaded model, which the caller owns and disposes.</returns>
    /// <exception cref="OnnxModelLoadException">The bytes are not a loadable model, or CUDA was required and is unavailable.</exception>
    public OnnxModelSession Create(byte[] modelBytes, OnnxSessionOptions? options = null, string modelName = "<in-memory model>")
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        options = (options ?? new OnnxSessionOptions()).Clone();
        options.Validate();
        if (modelBytes.Length == 0)
        {
            throw new OnnxModelLoadException(modelName, $"The ONNX model '{modelName}' is empty (0 bytes).");
        }

        return CreateCore(new ModelSource(modelName, modelBytes), options);
    }

    /// <summary>Tells whether the CUDA execution provider can be appended in this process (native GPU package present and loadable).</summary>
    /// <param name="deviceId">The CUDA device id.</param>
    /// <returns><see langword="true"/> when a CUDA session could be configured.</returns>
    public static bool IsCudaAvailable(int deviceId = 0)
    {
        try
        {
            using var so = new SessionOptions();
            so.AppendExecutionProvider_CUDA(deviceId);
            return true;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private OnnxModelSession CreateCore(ModelSource source, OnnxSessionOptions options)
    {
        // Our own reader and checks see every model before ONNX Runtime's native parser does (hot reload included), so a
        // corrupt or hostile file gets a typed error here instead of reaching native code.
        CheckBeforeLoading(source);
        var session = Open(source, options, out var provider);
        var size = source.Bytes?.LongLength ?? new FileInfo(source.Name).Length;
        if (!options.RewriteFixedBatch || !AllInputsHaveUnitBatch(session))
        {
            var support = AllInputsHaveUnitBatch(session) ? BatchSupport.PerRow : BatchSupport.Dynamic;
            var reason = support == BatchSupport.Dynamic
                ? "the model declares a dynamic batch dimension"
                : "the batch dimension is fixed at 1 and the rewrite is turned off";
            return new OnnxModelSession(session, source.Name, provider, options.DeviceId, support, reason, options, size);
        }

        // The batch dimension is pinned to 1: try to make it symbolic.
        string why;
        try
        {
            var proto = source.Bytes is null ? OnnxModelIO.Load(source.Name) : OnnxModelIO.Parse(source.Bytes, source.Name);
            if (BatchDimensionRewriter.TryMakeBatchSymbolic(proto, out why))
            {
                var rewrittenBytes = OnnxModelIO.ToBytes(proto);
                var rewritten = Open(new ModelSource(source.Name, rewrittenBytes), options, out var rewrittenProvider);
                if (FixedBatchVerifier.Verify(session, rewritten, out var verifyNote))
                {
                    session.Dispose();
                    LogBatchRewritten(_logger, source.Name, why);
                    return new OnnxModelSession(rewritten, source.Name, rewrittenProvider, options.DeviceId, BatchSupport.RewrittenFromFixed, $"{why}; {verifyNote}", options, size);
                }

                rewritten.Dispose();
                why = $"the rewritten model disagreed with the original ({verifyNote})";
            }
        }
        catch (Exception ex) when (ex is OnnxFormatException or OnnxRuntimeException or IOException)
        {
            why = $"the rewrite failed: {ex.Message}";
        }

        LogPerRow(_logger, source.Name, why);
        return new OnnxModelSession(session, source.Name, provider, options.DeviceId, BatchSupport.PerRow, $"batch fixed at 1; {why}; rows run one call each", options, size);
    }

    private static void CheckBeforeLoading(ModelSource source)
    {
        // External data stays on disk: ModelChecks refuses locations that leave the model's folder, and ONNX Runtime reads it.
        try
        {
            var proto = source.Bytes is null ? OnnxModelIO.Load(source.Name, loadExternalData: false) : OnnxModelIO.Parse(source.Bytes, source.Name);
            ModelChecks.Validate(proto);
        }
        catch (OnnxFormatException ex)
        {
            throw new OnnxModelLoadException(source.Name, $"The model '{source.Name}' failed its checks before ONNX Runtime saw it: {ex.Message}", ex);
        }
    }

    private InferenceSession Open(ModelSource source, OnnxSessionOptions options, out ExecutionProvider provider)
    {
        var so = new SessionOptions();
        try
        {
            so.GraphOptimizationLevel = options.GraphOptimizationLevel;
            so.IntraOpNumThreads = options.IntraOpThreads;
            so.InterOpNumThreads = options.InterOpThreads;
            so.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
            provider = ConfigureProvider(so, source.Name, options);

            var cache = options.OptimizedModelCachePath;
            string? cacheKey = null;
            if (!string.IsNullOrEmpty(cache))
            {
                cacheKey = CacheKey(source, options, provider);
                if (File.Exists(cache) && File.Exists(cache + ".key") && File.ReadAllText(cache + ".key") == cacheKey)
                {
                    // The cached file is already optimized for this provider: skip optimizing again.
                    so.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
                    var cached = Load(new ModelSource(cache, null), so);
                    LogCacheHit(_logger, source.Name, cache);
                    return cached;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(cache))!);
                so.OptimizedModelFilePath = cache;
            }

            InferenceSession session;
            try
            {
                session = Load(source, so);
            }
            catch (OnnxModelLoadException ex) when (provider == ExecutionProvider.Cuda && options.AllowCpuFallback && options.ExecutionProvider != ExecutionProvider.Cpu)
            {
                // The CUDA provider was appended but the device or its libraries failed at session creation.
                LogCudaFallback(_logger, source.Name, options.DeviceId, ex.InnerException?.Message ?? ex.Message);
                var cpuOptions = options.Clone();
                cpuOptions.ExecutionProvider = ExecutionProvider.Cpu;
                return Open(source, cpuOptions, out provider);
            }

            if (cacheKey is not null)
            {
                File.WriteAllText(cache + ".key", cacheKey);
            }

            return session;
        }
        finally
        {
            so.Dispose();
        }
    }

    private static InferenceSession Load(ModelSource source, SessionOptions so)
    {
        try
        {
            return source.Bytes is null ? new InferenceSession(source.Name, so) : new InferenceSession(source.Bytes, so);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxModelLoadException(
                source.Name,
                $"ONNX Runtime could not load the model '{source.Name}': the file is corrupt or truncated, is not an ONNX model, or uses operators this runtime does not have. Details: {ex.Message}",
                ex);
        }
    }

    private ExecutionProvider ConfigureProvider(SessionOptions so, string modelName, OnnxSessionOptions options)
    {
        if (options.ExecutionProvider == ExecutionProvider.Cpu)
        {
            return ExecutionProvider.Cpu;
        }

        try
        {
            so.AppendExecutionProvider_CUDA(options.DeviceId);
            return ExecutionProvider.Cuda;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or InvalidOperationException)
        {
            if (options.ExecutionProvider == ExecutionProvider.Cuda && !options.AllowCpuFallback)
            {
                throw new OnnxModelLoadException(
                    modelName,
                    $"CUDA device {options.DeviceId} was required for '{modelName}' but the CUDA execution provider could not be loaded: {ex.Message} " +
                    "Reference Microsoft.ML.OnnxRuntime.Gpu in the app and make the CUDA and cuDNN libraries visible, or allow CPU fallback.",
                    ex);
            }

            LogCudaFallback(_logger, modelName, options.DeviceId, ex.Message);
            return ExecutionProvider.Cpu;
        }
    }

    private static string CacheKey(ModelSource source, OnnxSessionOptions options, ExecutionProvider provider)
    {
        // PERF: a file is identified by its full path, size and last write time, not by hashing it: a cache hit must
        // stay much cheaper than optimizing again (hashing MiniLM alone takes a good part of its load time).
        string identity;
        if (source.Bytes is not null)
        {
            identity = Convert.ToHexString(SHA256.HashData(source.Bytes));
        }
        else
        {
            var file = new FileInfo(source.Name);
            identity = $"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}";
        }

        return $"{identity}|{provider}|{options.DeviceId}|{options.GraphOptimizationLevel}|{OrtEnv.Instance().GetVersionString()}";
    }

    private static bool AllInputsHaveUnitBatch(InferenceSession session)
    {
        if (session.InputMetadata.Count == 0)
        {
            return false;
        }

        foreach (var input in session.InputMetadata.Values)
        {
            if (!input.IsTensor || input.Dimensions.Length == 0 || input.Dimensions[0] != 1)
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "CUDA device {DeviceId} is not available for model '{ModelName}'; falling back to the CPU. Reason: {Reason}")]
    private static partial void LogCudaFallback(ILogger logger, string modelName, int deviceId, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Model '{ModelName}': {Reason}.")]
    private static partial void LogBatchRewritten(ILogger logger, string modelName, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Model '{ModelName}' runs one row per call: {Reason}.")]
    private static partial void LogPerRow(ILogger logger, string modelName, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Model '{ModelName}' loaded from the optimized cache '{CachePath}'.")]
    private static partial void LogCacheHit(ILogger logger, string modelName, string cachePath);

    private readonly record struct ModelSource(string Name, byte[]? Bytes);
}
