using Microsoft.ML;
using MLNetInference.Pipeline.Internal.RowMapping;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Internal;

/// <summary>
/// The batched scorer seen as a row-wise <see cref="IRowMapper"/>, for ML.NET's <c>PredictionEngine</c> and
/// transformer chains: each input row is scored alone, once per position, through the same chunk scorer.
/// </summary>
internal sealed class ScoringRowMapper : IRowMapper
{
    private readonly ScoringBinding _binding;
    private readonly BatchRunner _runner;

    public ScoringRowMapper(ScoringBinding binding, BatchRunner runner)
    {
        _binding = binding;
        _runner = runner;
        var outputs = new DataViewSchema.DetachedColumn[binding.OutputIndices.Length];
        for (var o = 0; o < outputs.Length; o++)
        {
            var column = binding.OutputSchema[binding.FirstOutputColumn + o];
            outputs[o] = new DataViewSchema.DetachedColumn(column.Name, column.Type, column.Annotations);
        }

        OutputColumns = outputs;
        var dependencies = new DataViewSchema.Column[binding.InputColumnIndices.Length];
        for (var i = 0; i < dependencies.Length; i++)
        {
            dependencies[i] = binding.InputSchema[binding.InputColumnIndices[i]];
        }

        Dependencies = dependencies;
    }

    public DataViewSchema InputSchema => _binding.InputSchema;

    public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    public IReadOnlyList<DataViewSchema.Column> Dependencies { get; }

    public IRowComputation CreateComputation(DataViewRow input) => new SingleRowComputation(_binding, _runner, input);

    /// <summary>Scores the one row the input currently holds.</summary>
    private sealed class SingleRowComputation : IRowComputation
    {
        private readonly ScoringBinding _binding;
        private readonly DataViewRow _input;
        private readonly ChunkScorer _scorer;

        public SingleRowComputation(ScoringBinding binding, BatchRunner runner, DataViewRow input)
        {
            _binding = binding;
            _input = input;
            _scorer = new ChunkScorer(runner, binding, 1);
            _scorer.Bind(input);
        }

        public void Compute() => _scorer.ScoreSingle(_input.Position);

        public Delegate GetGetter(int outputIndex)
            => OutputGetters.Create(_scorer, outputIndex, _binding.OutputTypes[outputIndex], static () => 0, _binding.OutputSchema[_binding.FirstOutputColumn + outputIndex].Name);
    }
}
