using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// Runs one batch of requests through an ML.NET model in one pass: the batch becomes an in-memory view, the
/// model's batched ONNX stage packs it into as few ONNX Runtime calls as its batch size allows, and each
/// prediction goes back to its request.
/// </summary>
internal sealed class MlNetBatchExecutor<TData, TPrediction> : IBatchExecutor<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    private readonly MLContext _mlContext;
    private readonly ITransformer _model;
    private readonly SchemaDefinition _inputDefinition;

    public MlNetBatchExecutor(MLContext mlContext, ITransformer model, SchemaDefinition inputDefinition)
    {
        _mlContext = mlContext;
        _model = model;
        _inputDefinition = inputDefinition;
    }

    public void Execute(ReadOnlySpan<TData> requests, Span<TPrediction> results)
    {
        var batch = requests.ToArray();
        var view = _mlContext.Data.LoadFromEnumerable(batch, _inputDefinition);
        var scored = _model.Transform(view);
        var index = 0;
        foreach (var prediction in _mlContext.Data.CreateEnumerable<TPrediction>(scored, reuseRowObject: false, ignoreMissingColumns: true))
        {
            if (index >= results.Length)
            {
                throw new InvalidOperationException($"The model returned more rows than the {results.Length} requests of the batch.");
            }

            results[index++] = prediction;
        }

        if (index != results.Length)
        {
            throw new InvalidOperationException($"The model returned {index} rows for a batch of {results.Length} requests; a pool model must map each row to one row.");
        }
    }
}
