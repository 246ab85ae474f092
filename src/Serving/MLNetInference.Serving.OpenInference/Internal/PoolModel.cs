using MLNetInference.Core;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// One model of a <see cref="PredictionEnginePool{TData, TPrediction}"/> served by its columns: a request of N rows
/// becomes N typed requests of the pool (N rows of its cross-request batcher), and the predictions' members are
/// stacked into the output tensors. A text model thus takes a BYTES tensor of strings and answers embeddings.
/// </summary>
internal sealed class PoolModel<TData, TPrediction> : IInferenceModel
    where TData : class
    where TPrediction : class, new()
{
    private static readonly PoolMember[] InputMembers = PoolMember.Read(typeof(TData), forInput: true);
    private static readonly PoolMember[] OutputMembers = PoolMember.Read(typeof(TPrediction), forInput: false);
    private static readonly TensorSpec[] InputSpecs = Array.ConvertAll(InputMembers, m => m.Spec);
    private static readonly TensorSpec[] OutputSpecs = Array.ConvertAll(OutputMembers, m => m.Spec);

    private readonly Func<PredictionEnginePool<TData, TPrediction>?> _pool;
    private readonly string _poolName;

    public PoolModel(string name, string poolName, Func<PredictionEnginePool<TData, TPrediction>?> pool)
    {
        Name = name;
        _poolName = poolName;
        _pool = pool;
    }

    public string Name { get; }

    public string Version => "1";

    public string Platform => "mlnet";

    public IReadOnlyList<TensorSpec> Inputs => InputSpecs;

    public IReadOnlyList<TensorSpec> Outputs => OutputSpecs;

    public bool IsReady => _pool() is { } pool && pool.GetStatus(_poolName) is ModelStatus.Loaded or ModelStatus.Reloading or ModelStatus.ReloadFailed;

    public string MetricsName => _poolName.Length == 0 ? "(default)" : _poolName;

    public async Task<IReadOnlyList<InferTensor>> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        var pool = _pool() ?? throw OpenInferenceException.Unavailable($"Model '{Name}' is loading.");
        request = FlattenScalarColumns(request);
        var rows = RequestChecks.CheckInputs(Name, InputSpecs, request);
        var selected = RequestChecks.SelectOutputs(Name, OutputSpecs, request);
        var examples = new TData[rows];
        for (var r = 0; r < rows; r++)
        {
            var example = Activator.CreateInstance<TData>();
            foreach (var member in InputMembers)
            {
                member.SetFromRow(example, request.FindInput(member.Spec.Name)!, r, rows);
            }

            examples[r] = example;
        }

        TPrediction[] predictions;
        try
        {
            predictions = await pool.PredictBatchAsync(_poolName, examples, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidInputException ex)
        {
            throw OpenInferenceException.BadRequest(ex.Message);
        }

        var answer = new InferTensor[selected.Count];
        for (var s = 0; s < answer.Length; s++)
        {
            answer[s] = Array.Find(OutputMembers, m => m.Spec.Name == selected[s].Name)!.Stack<TPrediction>(predictions);
        }

        return answer;
    }

    /// <summary>Takes a scalar column given as [N, 1] (Triton's usual shape for one string per row) as [N].</summary>
    private static InferenceRequest FlattenScalarColumns(InferenceRequest request)
    {
        List<InferTensor>? changed = null;
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            if (input.Shape is [_, 1] && Array.Find(InputMembers, m => m.Spec.Name == input.Name) is { IsArray: false })
            {
                changed ??= [.. request.Inputs];
                changed[i] = new InferTensor(input.Name, input.DataType, [input.Shape[0]], input.Data);
            }
        }

        return changed is null ? request : new InferenceRequest(request.Id, changed, request.Outputs, request.BinaryOutputs);
    }
}
