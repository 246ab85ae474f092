using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Internal.RowMapping;
using MLNetInference.Pipeline.Serialization;
using MLNetInference.Pipeline.Text.Internal;

namespace MLNetInference.Pipeline.Text;

/// <summary>
/// Tokenizes a text column into <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c>; created by
/// <see cref="BertTokenizationEstimator"/>.
/// </summary>
/// <remarks>
/// Saving with stock <c>mlContext.Model.Save</c> writes an equivalent <c>CustomMapping</c> stage that stock
/// <c>mlContext.Model.Load</c> can read but not run (it has no vocabulary); load such models with MLNetInference's
/// loader, which restores this transformer from its own entries.
/// </remarks>
public sealed class BertTokenizationTransformer : ITransformer, IPersistableTransformer
{
    private const string OptionsEntry = "options.json";
    private const string VocabEntry = "vocab.txt";

    private readonly BertTokenizationOptions _options;
    private readonly byte[] _vocab;
    private readonly WordPieceVocabulary _vocabulary;

    internal BertTokenizationTransformer(BertTokenizationOptions options, byte[] vocab)
    {
        _options = options;
        _vocab = vocab;
        _vocabulary = CreateVocabulary(vocab);
    }

    /// <summary>The input text column.</summary>
    public string InputColumnName => _options.InputColumnName;

    /// <summary>The maximum number of tokens per text, [CLS] and [SEP] included.</summary>
    public int MaxLength => _options.MaxLength;

    /// <summary>The output column of token ids.</summary>
    public string InputIdsColumnName => _options.InputIdsColumnName;

    /// <summary>The output column of the attention mask (ones over the row's tokens).</summary>
    public string AttentionMaskColumnName => _options.AttentionMaskColumnName;

    /// <summary>The output column of the token type ids (zeros over the row's tokens).</summary>
    public string TokenTypeIdsColumnName => _options.TokenTypeIdsColumnName;

    /// <summary>Creates a tokenizer that tokenizes one text at a time exactly as this transformer tokenizes each row.</summary>
    /// <returns>A new tokenizer; not thread-safe, so create one per thread.</returns>
    public BertRowTokenizer CreateRowTokenizer() => new(_options, _vocabulary);

    /// <summary>Always <see langword="true"/>: each output row depends on its input row only.</summary>
    public bool IsRowToRowMapper => true;

    string IPersistableTransformer.PersistKind => "BertTokenization";

    /// <summary>Returns the schema after tokenization.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The input columns plus the three variable-length Int64 vector columns.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputSchema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not text.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => MappedTransforms.OutputSchema(inputSchema, Bind);

    /// <summary>Returns a lazy view that tokenizes <paramref name="input"/> as it is read.</summary>
    /// <param name="input">The input data.</param>
    /// <returns>The input with the three added columns.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not text.</exception>
    /// <remarks>Reading a row throws <see cref="TextInputException"/> for empty text, and for too-long text when overflow throws.</remarks>
    public IDataView Transform(IDataView input) => MappedTransforms.Transform(input, Bind);

    /// <summary>Returns the row-to-row mapper used by prediction engines and transformer chains.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The mapper.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputSchema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not text.</exception>
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
            ["inputColumnName"] = _options.InputColumnName,
            ["inputIdsColumnName"] = _options.InputIdsColumnName,
            ["attentionMaskColumnName"] = _options.AttentionMaskColumnName,
            ["tokenTypeIdsColumnName"] = _options.TokenTypeIdsColumnName,
            ["lowerCase"] = _options.LowerCase,
            ["maxLength"] = _options.MaxLength,
            ["throwOnOverflow"] = _options.ThrowOnOverflow,
            ["vocabEntry"] = VocabEntry,
        };
        StateEntries.WriteJson(archive, prefix + OptionsEntry, json);
        StateEntries.Write(archive, prefix + VocabEntry, _vocab);
    }

    /// <summary>Rebuilds a transformer from the entries that <see cref="IPersistableTransformer.WriteState"/> wrote.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="archive">The model zip.</param>
    /// <param name="prefix">The entry-name prefix of this stage, ending with '/'.</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="InvalidDataException">An entry is missing or malformed.</exception>
    internal static BertTokenizationTransformer LoadState(MLContext mlContext, ZipArchive archive, string prefix)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(prefix);
        string entry = prefix + OptionsEntry;
        var json = StateEntries.ReadJson(archive, entry);
        string vocabEntry = StateEntries.GetRequired<string>(json, "vocabEntry", entry);
        var options = new BertTokenizationOptions
        {
            InputColumnName = StateEntries.GetRequired<string>(json, "inputColumnName", entry),
            InputIdsColumnName = StateEntries.GetRequired<string>(json, "inputIdsColumnName", entry),
            AttentionMaskColumnName = StateEntries.GetRequired<string>(json, "attentionMaskColumnName", entry),
            TokenTypeIdsColumnName = StateEntries.GetRequired<string>(json, "tokenTypeIdsColumnName", entry),
            LowerCase = StateEntries.GetRequired<bool>(json, "lowerCase", entry),
            MaxLength = StateEntries.GetRequired<int>(json, "maxLength", entry),
            ThrowOnOverflow = StateEntries.GetRequired<bool>(json, "throwOnOverflow", entry),
        };
        if (options.MaxLength < 2)
        {
            throw new InvalidDataException($"Entry '{entry}' has maxLength {options.MaxLength}; it must be at least 2.");
        }

        return new BertTokenizationTransformer(options, StateEntries.Read(archive, prefix + vocabEntry));
    }

    internal static WordPieceVocabulary CreateVocabulary(byte[] vocab) => WordPieceVocabulary.Parse(vocab);

    internal static DataViewSchema.DetachedColumn[] CreateOutputColumns(BertTokenizationOptions options)
    {
        var type = new VectorDataViewType(NumberDataViewType.Int64);
        return
        [
            new DataViewSchema.DetachedColumn(options.InputIdsColumnName, type),
            new DataViewSchema.DetachedColumn(options.AttentionMaskColumnName, type),
            new DataViewSchema.DetachedColumn(options.TokenTypeIdsColumnName, type),
        ];
    }

    internal static SchemaDefinition CreateStockOutputDefinition(BertTokenizationOptions options)
    {
        var definition = SchemaDefinition.Create(typeof(BertTokenizationStockOutput));
        definition[BertTokenizationStockOutput.InputIdsName].ColumnName = options.InputIdsColumnName;
        definition[BertTokenizationStockOutput.AttentionMaskName].ColumnName = options.AttentionMaskColumnName;
        definition[BertTokenizationStockOutput.TokenTypeIdsName].ColumnName = options.TokenTypeIdsColumnName;
        return definition;
    }

    private ITransformer CreateStockEquivalent()
    {
        var mlContext = new MLContext();
        var inputDefinition = SchemaDefinition.Create(typeof(BertTokenizationStockInput));
        inputDefinition[0].ColumnName = _options.InputColumnName;
        var outputDefinition = CreateStockOutputDefinition(_options);
        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<BertTokenizationStockInput>(), inputDefinition);
        return mlContext.Transforms
            .CustomMapping<BertTokenizationStockInput, BertTokenizationStockOutput>(
                BertTokenizationStockFactory.Map, BertTokenizationStockFactory.ContractName, inputDefinition, outputDefinition)
            .Fit(empty);
    }

    /// <summary>Binds the transformer to one input schema.</summary>
    private Mapper Bind(DataViewSchema inputSchema) => new(this, inputSchema);

    private sealed class Mapper : IRowMapper
    {
        private readonly BertTokenizationTransformer _parent;
        private readonly DataViewSchema.Column _inputColumn;

        public Mapper(BertTokenizationTransformer parent, DataViewSchema inputSchema)
        {
            _parent = parent;
            InputSchema = inputSchema;
            _inputColumn = SchemaChecks.GetColumn(inputSchema, parent._options.InputColumnName, "text");
            if (_inputColumn.Type is not TextDataViewType)
            {
                throw SchemaChecks.TypeMismatch(_inputColumn.Name, "String", _inputColumn.Type);
            }

            OutputColumns = CreateOutputColumns(parent._options);
            Dependencies = [_inputColumn];
        }

        public DataViewSchema InputSchema { get; }

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public IReadOnlyList<DataViewSchema.Column> Dependencies { get; }

        public IRowComputation CreateComputation(DataViewRow input)
            => new Computation(_parent, input.GetGetter<ReadOnlyMemory<char>>(input.Schema[_inputColumn.Index]));
    }

    /// <summary>Tokenizes the current row into reusable buffers.</summary>
    private sealed class Computation : IRowComputation
    {
        private readonly BertRowTokenizer _tokenizer;
        private readonly ValueGetter<ReadOnlyMemory<char>> _textGetter;

        // PERF: one buffer per cursor, sized for the longest output; the mask (ones) and the type ids (zeros)
        // never change, so they are filled once and only their prefix is copied out.
        private readonly long[] _ids;
        private readonly long[] _ones;
        private readonly long[] _zeros;
        private ReadOnlyMemory<char> _text;
        private int _length;

        public Computation(BertTokenizationTransformer parent, ValueGetter<ReadOnlyMemory<char>> textGetter)
        {
            var maxLength = parent._options.MaxLength;
            _tokenizer = parent.CreateRowTokenizer();
            _textGetter = textGetter;
            _ids = new long[maxLength];
            _ones = new long[maxLength];
            Array.Fill(_ones, 1L);
            _zeros = new long[maxLength];
        }

        public void Compute()
        {
            _textGetter(ref _text);
            _length = _tokenizer.Tokenize(_text.Span, _ids);
        }

        public Delegate GetGetter(int outputIndex) => outputIndex switch
        {
            0 => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> value) => CopyPrefix(_ids, _length, ref value)),
            1 => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> value) => CopyPrefix(_ones, _length, ref value)),
            2 => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> value) => CopyPrefix(_zeros, _length, ref value)),
            _ => throw new ArgumentOutOfRangeException(nameof(outputIndex)),
        };

        private static void CopyPrefix(long[] source, int length, ref VBuffer<long> value)
        {
            // PERF: reuses the caller's VBuffer arrays when they are large enough.
            var editor = VBufferEditor.Create(ref value, length);
            source.AsSpan(0, length).CopyTo(editor.Values);
            value = editor.Commit();
        }
    }
}
