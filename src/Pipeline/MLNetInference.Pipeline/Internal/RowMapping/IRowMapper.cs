using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>
/// Computes a row-wise transformer's output columns from the columns of one input row. A mapper is bound to
/// one input schema; <see cref="MappedDataView"/>, <see cref="MappedRowToRowMapper"/> and their rows and cursors
/// turn it into an <see cref="IDataView"/> and an <see cref="IRowToRowMapper"/>.
/// </summary>
internal interface IRowMapper
{
    /// <summary>The input schema this mapper was bound to.</summary>
    DataViewSchema InputSchema { get; }

    /// <summary>The columns this mapper adds, in order. Their names may hide input columns.</summary>
    IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>The input columns that computing any output reads.</summary>
    IReadOnlyList<DataViewSchema.Column> Dependencies { get; }

    /// <summary>
    /// Creates the per-row state for one row source (a cursor or a row). Its getters read the values that its
    /// last <see cref="IRowComputation.Compute"/> produced; the caller computes at most once per input position.
    /// </summary>
    /// <param name="input">The input row or cursor; the dependencies are active on it.</param>
    IRowComputation CreateComputation(DataViewRow input);
}
