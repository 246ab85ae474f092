using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;
using MLNetInference.Pipeline.Pooling;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Pipeline.Serialization;
using MLNetInference.Pipeline.Text;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// The fast path for our text → embedding zips (<c>TokenizeForBert</c> → <c>ScoreOnnxBatched</c> →
/// <c>MeanPoolAndNormalize</c>): each request's text is tokenized once into a buffer of this worker, the batch goes to
/// the model's <see cref="BatchRunner"/> in order of token length, and each
/// row's un-padded token embeddings are pooled by the model's own pooling stage. No ML.NET data view is built per
/// batch and no row is tokenized twice; the results are those of the general path.
/// </summary>
/// <remarks>
/// <para>This is the only place a batch is cut on its way to ONNX Runtime: on a GPU it runs as one call (up to the
/// runner's batch size); on the CPU, where padding costs as much as real tokens, it runs as calls of rows within an
/// eighth of each other's length, so that batching never computes more than it saves.</para>
/// <para>One instance per batch worker: its buffers are reused from batch to batch, so it is not thread-safe.</para>
/// </remarks>
internal sealed class DirectEmbeddingExecutor<TData, TPrediction> : IBatchExecutor<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    private const int TokenIds = 0;
    private const int Mask = 1;
    private const int TypeIds = 2;

    /// <summary>On the CPU a run pads its rows by at most 1/8 of its shortest row's length.</summary>
    private const int PaddingDivisor = 8;

    private readonly BatchRunner _runner;
    private readonly BertRowTokenizer _tokenizer;
    private readonly MeanPoolingTransformer _pooling;
    private readonly Func<TData, string?> _text;
    private readonly Action<TPrediction, float[]> _setEmbedding;
    private readonly int[] _inputKinds;
    private readonly int _tokenEmbeddings;
    private readonly int _hidden;
    private readonly long[] _ones;
    private readonly long[] _zeros;
    private readonly bool _boundPadding;

    // PERF: one id buffer per row of the largest batch seen, reused from batch to batch.
    private long[][] _ids = [];
    private int[] _lengths = [];
    private int[] _order = [];
    private float[] _rowEmbeddings = [];

    private DirectEmbeddingExecutor(
        BatchRunner runner,
        BertRowTokenizer tokenizer,
        MeanPoolingTransformer pooling,
        Func<TData, string?> text,
        Action<TPrediction, float[]> setEmbedding,
        int[] inputKinds,
        int tokenEmbeddings,
        int hidden)
    {
        _runner = runner;
        _tokenizer = tokenizer;
        _pooling = pooling;
        _text = text;
        _setEmbedding = setEmbedding;
        _inputKinds = inputKinds;
        _tokenEmbeddings = tokenEmbeddings;
        _hidden = hidden;
        _ones = new long[tokenizer.MaxLength];
        Array.Fill(_ones, 1L);
        _zeros = new long[tokenizer.MaxLength];
        _boundPadding = runner.Model.ExecutionProvider == ExecutionProvider.Cpu;
    }

    /// <summary>
    /// Builds the executor when <paramref name="model"/> is exactly our tokenize → score → pool pipeline wired by its
    /// column names, the request's text and the prediction's embedding are plain members, and the prediction reads no
    /// other column of the model's output; otherwise returns <see langword="null"/> and the general path serves.
    /// </summary>
    public static DirectEmbeddingExecutor<TData, TPrediction>? TryCreate(ITransformer model, DataViewSchema inputSchema)
    {
        var stages = BatchedModel.GetStages(model);
        if (stages.Count != 3
            || stages[0] is not BertTokenizationTransformer tokenization
            || stages[1] is not OnnxBatchScoringTransformer scorer
            || stages[2] is not MeanPoolingTransformer pooling)
        {
            return null;
        }

        string[] tokenColumns = [tokenization.InputIdsColumnName, tokenization.AttentionMaskColumnName, tokenization.TokenTypeIdsColumnName];
        var runner = scorer.Runner;
        var kinds = new int[runner.InputCount];
        for (var i = 0; i < kinds.Length; i++)
        {
            var name = runner.InputNames[i];
            var column = scorer.InputColumns.TryGetValue(name, out var mapped) ? mapped : name;
            kinds[i] = Array.IndexOf(tokenColumns, column);
            if (kinds[i] < 0 || runner.Model.Metadata.FindInput(name)?.ClrType != typeof(long))
            {
                return null;
            }
        }

        var outputs = scorer.OutputColumns;
        if (outputs.Values.Any(c => Array.IndexOf(tokenColumns, c) >= 0 || c == tokenization.InputColumnName)
            || pooling.AttentionMaskColumnName != tokenization.AttentionMaskColumnName)
        {
            return null; // a later stage would read a column an earlier one shadowed
        }

        var tokenEmbeddings = -1;
        for (var o = 0; o < runner.OutputNames.Count; o++)
        {
            if (outputs.TryGetValue(runner.OutputNames[o], out var column) && column == pooling.TokenEmbeddingsColumnName)
            {
                tokenEmbeddings = o;
            }
        }

        if (tokenEmbeddings < 0 || runner.Model.Metadata.FindOutput(runner.OutputNames[tokenEmbeddings])?.ClrType != typeof(float))
        {
            return null;
        }

        var textMember = ColumnMembers.Find(typeof(TData), tokenization.InputColumnName);
        var embeddingMember = ColumnMembers.Find(typeof(TPrediction), pooling.OutputColumnName);
        if (textMember is null || ColumnMembers.MemberType(textMember) != typeof(string)
            || embeddingMember is null || ColumnMembers.MemberType(embeddingMember) != typeof(float[])
            || ColumnMembers.Setter<TPrediction, float[]>(embeddingMember) is not { } setEmbedding)
        {
            return null;
        }

        // The general path fills every prediction member that names an output column; here only the embedding is set.
        var outputSchema = model.GetOutputSchema(inputSchema);
        if (ColumnMembers.All(typeof(TPrediction)).Any(m => m != embeddingMember && outputSchema.GetColumnOrNull(ColumnMembers.ColumnName(m)) is not null))
        {
            return null;
        }

        if (outputSchema.GetColumnOrNull(pooling.OutputColumnName) is not { Type: VectorDataViewType { Size: > 0 } embeddingType })
        {
            return null;
        }

        return new DirectEmbeddingExecutor<TData, TPrediction>(
            runner,
            tokenization.CreateRowTokenizer(),
            pooling,
            ColumnMembers.Getter<TData, string>(textMember),
            setEmbedding,
            kinds,
            tokenEmbeddings,
            embeddingType.Size);
    }

    public void Execute(ReadOnlySpan<TData> requests, Span<TPrediction> results)
    {
        var count = requests.Length;
        EnsureCapacity(count);

        // Tokenize each row once; null text is empty text, as the data-view path reads it.
        for (var r = 0; r < count; r++)
        {
            _lengths[r] = _tokenizer.Tokenize(_text(requests[r]) ?? string.Empty, _ids[r]);
            _order[r] = r;
        }

        // PERF: rows in order of length, so that each call of the runner pads only to similar lengths.
        var order = _order.AsSpan(0, count);
        var lengths = _lengths;
        order.Sort((a, b) => lengths[a] != lengths[b] ? lengths[a].CompareTo(lengths[b]) : a.CompareTo(b));

        // On the CPU padding costs as much compute as real tokens, so a run takes only rows within an eighth of the
        // shortest one's length; on a GPU the whole batch is one run (the runner cuts only at its own batch size).
        for (var start = 0; start < count;)
        {
            var end = start + 1;
            var limit = _lengths[order[start]] + (_lengths[order[start]] / PaddingDivisor);
            while (end < count && end - start < _runner.MaxBatchSize && (!_boundPadding || _lengths[order[end]] <= limit))
            {
                end++;
            }

            RunAndPool(order[start..end], results);
            start = end;
        }
    }

    private void RunAndPool(ReadOnlySpan<int> rowsInOrder, Span<TPrediction> results)
    {
        var count = rowsInOrder.Length;
        var width = _inputKinds.Length;
        var rows = new RowTensor[count * width];
        for (var s = 0; s < count; s++)
        {
            var row = rowsInOrder[s];
            for (var i = 0; i < width; i++)
            {
                var source = _inputKinds[i] switch
                {
                    TokenIds => _ids[row],
                    Mask => _ones,
                    _ => _zeros,
                };
                rows[(s * width) + i] = RowTensor.FromArray(source, _lengths[row]);
            }
        }

        using var result = _runner.Run(rows);
        for (var s = 0; s < count; s++)
        {
            var row = rowsInOrder[s];
            var length = result.GetRowLength(_tokenEmbeddings, s);
            if (_rowEmbeddings.Length < length)
            {
                _rowEmbeddings = new float[Math.Max(length, _tokenizer.MaxLength * _hidden)];
            }

            var written = result.CopyRow(_tokenEmbeddings, s, _rowEmbeddings.AsSpan(0, length));
            var embedding = new float[_hidden];
            _pooling.Pool(_rowEmbeddings.AsSpan(0, written), _ones.AsSpan(0, _lengths[row]), embedding);
            var prediction = new TPrediction();
            _setEmbedding(prediction, embedding);
            results[row] = prediction;
        }
    }

    private void EnsureCapacity(int count)
    {
        if (_ids.Length >= count)
        {
            return;
        }

        var ids = new long[count][];
        _ids.CopyTo(ids, 0);
        for (var r = _ids.Length; r < count; r++)
        {
            ids[r] = new long[_tokenizer.MaxLength];
        }

        _ids = ids;
        _lengths = new int[count];
        _order = new int[count];
    }
}
