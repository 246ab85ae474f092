using MLNetInference.Serving.OpenInference.Internal;

namespace MLNetInference.Serving.OpenInference;

/// <summary>Adds models served by a remote Open Inference Protocol (KServe V2) server to a prediction engine pool.</summary>
public static class OpenInferencePoolBuilderExtensions
{
    /// <summary>
    /// Serves a model whose batches run on a remote V2 server (Triton, KServe, MLServer or ours): the pool batches
    /// local requests as for any model, and each batch is one infer call, its rows stacked into one tensor per
    /// <typeparamref name="TData"/> column (a string column as BYTES); the outputs fill the
    /// <typeparamref name="TPrediction"/> members of the same names. Calls go through Microsoft.Extensions.Http.Resilience
    /// (timeouts, retries, circuit breaker, see <see cref="OpenInferenceClientOptions.Resilience"/>).
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The pool builder.</param>
    /// <param name="modelName">The pooled model's name; empty for the default model.</param>
    /// <param name="serverUri">The server's base address (for example <c>http://triton:8000/</c>, or <c>http://host:8081/</c> for gRPC).</param>
    /// <param name="configure">Sets the remote model name, the protocol and the resilience settings; optional.</param>
    /// <returns>The builder.</returns>
    /// <remarks>The model's workers (<see cref="DynamicBatchingOptions.WorkersPerDevice"/>) are the most concurrent calls to the server.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> FromOpenInference<TData, TPrediction>(this IPredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, Uri serverUri, Action<OpenInferenceClientOptions>? configure = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(serverUri);
        var options = new OpenInferenceClientOptions();
        configure?.Invoke(options);
        var remote = string.IsNullOrEmpty(options.RemoteModelName) ? modelName : options.RemoteModelName;
        var baseAddress = serverUri.AbsoluteUri.EndsWith('/') ? serverUri : new Uri(serverUri.AbsoluteUri + "/");
        RemoteConnection? connection = null;
        var gate = new object();
        return builder.FromExecutor(modelName, _ =>
        {
            lock (gate)
            {
                // One connection per loaded version, shared by its workers; a reload makes a new one.
                if (connection is null || connection.IsReleased)
                {
                    connection = new RemoteConnection(baseAddress, options);
                }

                return new RemoteBatchExecutor<TData, TPrediction>(connection, remote);
            }
        });
    }
}
