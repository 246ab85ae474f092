using System.IO.Compression;
using System.Numerics;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Internal.RowMapping;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Pipeline.Pooling;

/// <summary>
/// Averages token embeddings over the attention mask and optionally L2-normalizes; created by
/// <see cref="MeanPoolingEstimator"/>.
/// </summary>
/// <remarks>
/// Saving with stock <c>mlContext.Model.Save</c> writes an equivalent <c>CustomMapping</c> stage. Stock
/// <c>mlContext.Model.Load</c> runs it once the assembly is registered with
/// <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(MeanPoolingTransformer).Assembly)</c>, with the default
/// column names and an Int64 mask; MLNetInference's loader restores this transformer with its own names.
/// </remarks>
public sealed class MeanPoolingTransformer : ITransformer, IPersistableTransformer
{
    private const string OptionsEntry = "options.json";

    private readonly MeanPoolingOptions _options;

    internal MeanPoolingTransformer(MeanPoolingOptions options)
    {
        _options = options;
    }

    /// <summary>The output column.</summary>
    public string OutputColumnName => _options.OutputColumnName;

    /// <summary>Whether the mean is L2-normalized.</summary>
    public bool Normalize => _options.Normalize;

    /// <summary>The input column of token embeddings.</summary>
    public string TokenEmbeddingsColumnName => _options.TokenEmbeddingsColumnName;

    /// <summary>The input column of the attention mask.</summary>
    public string AttentionMaskColumnName => _options.AttentionMaskColumnName;

    /// <summary>
    /// Pools one row exactly as this transformer does: the mean of the token embeddings whose mask entry is not zero,
    /// L2-normalized when <see cref="Normalize"/> is set. For callers that score without a data view.
    /// </summary>
    /// <param name="tokenEmbeddings">The row's token embeddings, flattened [tokens, hidden size].</param>
    /// <param name="attentionMask">The row's attention mask, one entry per token.</param>
    /// <param name="destination">Receives the pooled vector; its length is the hidden size.</param>
    /// <exception cref="PoolingInputException">The embeddings do not hold one vector of the destination's length per mask entry.</exception>
    public void Pool(ReadOnlySpan<float> tokenEmbeddings, ReadOnlySpan<long> attentionMask, Span<float> destination)
    {
        if (destination.IsEmpty || (long)attentionMask.Length * destination.Length != tokenEmbeddings.Length)
        {
            throw new PoolingInputException(
                _options.TokenEmbeddingsColumnName,
                _options.AttentionMaskColumnName,
                $"Input column '{_options.TokenEmbeddingsColumnName}' has {tokenEmbeddings.Length} values, but input column '{_options.AttentionMaskColumnName}' has {attentionMask.Length} tokens and the hidden size is {destination.Length}, so {(long)attentionMask.Length * destination.Length} values were expected. Feed the model's token embeddings with the mask of the same rows.");
        }

        MeanPoolingKernel.Pool(tokenEmbeddings, attentionMask, destination, _options.Normalize);
    }

    /// <summary>Always <see langword="true"/>: each output row depends on its input row only.</summary>
    public bool IsRowToRowMapper => true;

    string IPersistableTransformer.PersistKind => "MeanPooling";

    /// <summary>Returns the schema after pooling.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The input columns plus the output vector of the hidden size.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputSchema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type, or the hidden size is unknown.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => MappedTransforms.OutputSchema(inputSchema, Bind);

    /// <summary>Returns a lazy view that pools <paramref name="input"/> as it is read.</summary>
    /// <param name="input">The input data.</param>
    /// <returns>The input with the output column added.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type, or the hidden size is unknown.</exception>
    /// <remarks>Reading a row whose lengths do not fit together throws <see cref="PoolingInputException"/>.</remarks>
    public IDataView Transform(IDataView input) => MappedTransforms.Transform(input, Bind);

    /// <summary>Returns the row-to-row mapper used by prediction engines and transformer chains.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The mapper.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputSchema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type, or the hidden size is unknown.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => MappedTransforms.RowToRowMapper(inputSchema, Bind);

    /// <summary>Saves an equivalent stock <c>CustomMapping</c> stage, so that stock <c>mlContext.Model.Save</c> succeeds.</summary>
    /// <param name="ctx">The save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        CreateStockEquivalent().Save(ctx);
    }

    void IPersistableTransformer.WriteState(ZipArchive archive, string prefix)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(prefix);
        var json = new JsonObject
        {
            ["outputColumnName"] = _options.OutputColumnName,
            ["tokenEmbeddingsColumnName"] = _options.TokenEmbeddingsColumnName,
            ["attentionMaskColumnName"] = _options.AttentionMaskColumnName,
            ["normalize"] = _options.Normalize,
            ["hiddenSize"] = _options.HiddenSize,
        };
        StateEntries.WriteJson(archive, prefix + OptionsEntry, json);
    }

    /// <summary>Rebuilds a transformer from the entries that <see cref="IPersistableTransformer.WriteState"/> wrote.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="archive">The model zip.</param>
    /// <param name="prefix">The entry-name prefix of this stage, ending with '/'.</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="InvalidDataException">An entry is missing or malformed.</exception>
    internal static MeanPoolingTransformer LoadState(MLContext mlContext, ZipArchive archive, string prefix)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(prefix);
        string entry = prefix + OptionsEntry;
        var json = StateEntries.ReadJson(archive, entry);
        var options = new MeanPoolingOptions
        {
            OutputColumnName = StateEntries.GetRequired<string>(json, "outputColumnName", entry),
            TokenEmbeddingsColumnName = StateEntries.GetRequired<string>(json, "tokenEmbeddingsColumnName", entry),
            AttentionMaskColumnName = StateEntries.GetRequired<string>(json, "attentionMaskColumnName", entry),
            Normalize = StateEntries.GetRequired<bool>(json, "normalize", entry),
            HiddenSize = json["hiddenSize"] is null ? null : StateEntries.GetRequired<int>(json, "hiddenSize", entry),
        };
        if (options.HiddenSize is < 1)
        {
            throw new InvalidDataException($"Entry '{entry}' has hiddenSize {options.HiddenSize}; it must be positive.");
        }

        return new MeanPoolingTransformer(options);
    }

    internal static bool IsMaskItemType(DataViewType type)
        => type == NumberDataViewType.Int64 || type == NumberDataViewType.Int32 || type == NumberDataViewType.Single;

    internal static SchemaDefinition CreateStockOutputDefinition(string outputColumnName, int hiddenSize)
    {
        var definition = SchemaDefinition.Create(typeof(MeanPoolingStockOutput));
        definition[MeanPoolingStockOutput.EmbeddingName].ColumnName = outputColumnName;
        definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, hiddenSize);
        return definition;
    }

    private ITransformer CreateStockEquivalent()
    {
        var mlContext = new MLContext();
        var inputDefinition = SchemaDefinition.Create(typeof(MeanPoolingStockInput));
        inputDefinition[MeanPoolingStockInput.TokenEmbeddingsName].ColumnName = _options.TokenEmbeddingsColumnName;
        inputDefinition[MeanPoolingStockInput.AttentionMaskName].ColumnName = _options.AttentionMaskColumnName;
        var outputDefinition = SchemaDefinition.Create(typeof(MeanPoolingStockOutput));
        outputDefinition[MeanPoolingStockOutput.EmbeddingName].ColumnName = _options.OutputColumnName;
        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<MeanPoolingStockInput>(), inputDefinition);
        var estimator = _options.Normalize
            ? mlContext.Transforms.CustomMapping<MeanPoolingStockInput, MeanPoolingStockOutput>(
                MeanPoolingStockFactory.Map, MeanPoolingStockFactory.ContractName, inputDefinition, outputDefinition)
            : mlContext.Transforms.CustomMapping<MeanPoolingStockInput, MeanPoolingStockOutput>(
                MeanPoolingUnnormalizedStockFactory.Map, MeanPoolingUnnormalizedStockFactory.ContractName, inputDefinition, outputDefinition);
        return estimator.Fit(empty);
    }

    /// <summary>Binds the transformer to one input schema.</summary>
    private Mapper Bind(DataViewSchema inputSchema) => new(this, inputSchema);

    private sealed class Mapper : IRowMapper
    {
        private readonly MeanPoolingTransformer _parent;
        private readonly DataViewSchema.Column _embeddings;
        private readonly DataViewSchema.Column _mask;
        private readonly int _hidden;

        public Mapper(MeanPoolingTransformer parent, DataViewSchema inputSchema)
        {
            _parent = parent;
            var options = parent._options;
            InputSchema = inputSchema;
            _embeddings = SchemaChecks.GetColumn(inputSchema, options.TokenEmbeddingsColumnName, "token embeddings");
            if (_embeddings.Type is not VectorDataViewType { ItemType: var itemType } embeddingsType || itemType != NumberDataViewType.Single)
            {
                throw SchemaChecks.TypeMismatch(_embeddings.Name, "a vector of Single", _embeddings.Type);
            }

            _mask = SchemaChecks.GetColumn(inputSchema, options.AttentionMaskColumnName, "attention mask");
            if (_mask.Type is not VectorDataViewType maskType || !IsMaskItemType(maskType.ItemType))
            {
                throw SchemaChecks.TypeMismatch(_mask.Name, "a vector of Int64, Int32 or Single", _mask.Type);
            }

            var dims = embeddingsType.Dimensions;
            int fromType = dims.Length >= 2 ? dims[^1] : 0;
            if (fromType > 0 && options.HiddenSize is { } set && set != fromType)
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{_embeddings.Name}' has hidden size {fromType} (type {embeddingsType}), but HiddenSize is {set}. Remove HiddenSize or make it match.");
            }

            _hidden = fromType > 0 ? fromType : options.HiddenSize
                ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The hidden size of input column '{_embeddings.Name}' (type {embeddingsType}) is unknown: its type does not give a last dimension. Set MeanPoolingOptions.HiddenSize.");

            OutputColumns = [new DataViewSchema.DetachedColumn(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, _hidden))];
            Dependencies = [_embeddings, _mask];
        }

        public DataViewSchema InputSchema { get; }

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public IReadOnlyList<DataViewSchema.Column> Dependencies { get; }

        public IRowComputation CreateComputation(DataViewRow input)
        {
            var embeddings = input.GetGetter<VBuffer<float>>(input.Schema[_embeddings.Index]);
            var maskColumn = input.Schema[_mask.Index];
            var itemType = ((VectorDataViewType)_mask.Type).ItemType;
            if (itemType == NumberDataViewType.Int64)
            {
                return new Computation<long>(_parent._options, _hidden, embeddings, input.GetGetter<VBuffer<long>>(maskColumn));
            }

            if (itemType == NumberDataViewType.Int32)
            {
                return new Computation<int>(_parent._options, _hidden, embeddings, input.GetGetter<VBuffer<int>>(maskColumn));
            }

            return new Computation<float>(_parent._options, _hidden, embeddings, input.GetGetter<VBuffer<float>>(maskColumn));
        }
    }

    /// <summary>Pools the current row into a reusable buffer.</summary>
    /// <typeparam name="TMask">The mask element type.</typeparam>
    private sealed class Computation<TMask> : IRowComputation
        where TMask : INumberBase<TMask>
    {
        private readonly MeanPoolingOptions _options;
        private readonly ValueGetter<VBuffer<float>> _embeddingsGetter;
        private readonly ValueGetter<VBuffer<TMask>> _maskGetter;
        private readonly float[] _output;

        // PERF: the input buffers and their dense copies are reused from row to row.
        private VBuffer<float> _embeddings;
        private VBuffer<float> _embeddingsDense;
        private VBuffer<TMask> _mask;
        private VBuffer<TMask> _maskDense;

        public Computation(MeanPoolingOptions options, int hidden, ValueGetter<VBuffer<float>> embeddings, ValueGetter<VBuffer<TMask>> mask)
        {
            _options = options;
            _embeddingsGetter = embeddings;
            _maskGetter = mask;
            _output = new float[hidden];
        }

        public void Compute()
        {
            _embeddingsGetter(ref _embeddings);
            _maskGetter(ref _mask);
            var embeddings = Dense(ref _embeddings, ref _embeddingsDense);
            var mask = Dense(ref _mask, ref _maskDense);
            if ((long)mask.Length * _output.Length != embeddings.Length)
            {
                ThrowLengthMismatch(embeddings.Length, mask.Length);
            }

            MeanPoolingKernel.Pool(embeddings, mask, _output, _options.Normalize);
        }

        public Delegate GetGetter(int outputIndex)
        {
            ArgumentOutOfRangeException.ThrowIfNotEqual(outputIndex, 0);
            return (ValueGetter<VBuffer<float>>)GetOutput;
        }

        private void GetOutput(ref VBuffer<float> value)
        {
            var editor = VBufferEditor.Create(ref value, _output.Length);
            _output.AsSpan().CopyTo(editor.Values);
            value = editor.Commit();
        }

        private static ReadOnlySpan<T> Dense<T>(ref VBuffer<T> buffer, ref VBuffer<T> dense)
        {
            if (buffer.IsDense)
            {
                return buffer.GetValues();
            }

            buffer.CopyToDense(ref dense);
            return dense.GetValues();
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private void ThrowLengthMismatch(int embeddingsLength, int maskLength)
            => throw new PoolingInputException(
                _options.TokenEmbeddingsColumnName,
                _options.AttentionMaskColumnName,
                $"Input column '{_options.TokenEmbeddingsColumnName}' has {embeddingsLength} values, but input column '{_options.AttentionMaskColumnName}' has {maskLength} tokens and the hidden size is {_output.Length}, so {(long)maskLength * _output.Length} values were expected. Feed the model's token embeddings with the mask of the same rows.");
    }
}
