namespace MLNetInference.Serving.Internal;

/// <summary>
/// The "loader" of a model registered with <c>FromExecutor</c>: it holds no content, only the factory of the
/// executors its workers run batches on (with the pool's services); the pooled model asks it for one per worker.
/// </summary>
internal sealed class ExecutorModelLoader<TData, TPrediction>(Func<IServiceProvider, IPredictionBatchExecutor<TData, TPrediction>> create, IServiceProvider services) : ModelLoader
    where TData : class
    where TPrediction : class, new()
{
    public override string Description => $"executors of {typeof(IPredictionBatchExecutor<TData, TPrediction>).Name}";

    public IPredictionBatchExecutor<TData, TPrediction> CreateExecutor() => create(services);

    public override Task<Stream> OpenAsync(CancellationToken cancellationToken)
        => throw new NotSupportedException("A model served by executors (FromExecutor) has no content to open.");
}
