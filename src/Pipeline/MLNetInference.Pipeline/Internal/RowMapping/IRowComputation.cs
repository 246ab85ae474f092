namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>
/// The per-cursor state of an <see cref="IRowMapper"/>: computes all outputs of the current input row into
/// reusable buffers, and hands out getters that copy them out.
/// </summary>
internal interface IRowComputation
{
    /// <summary>Reads the current input row and computes every output into this object's buffers.</summary>
    void Compute();

    /// <summary>
    /// Returns a <c>ValueGetter&lt;T&gt;</c> for output <paramref name="outputIndex"/> that copies the last computed
    /// value; it does not compute.
    /// </summary>
    /// <param name="outputIndex">The index into <see cref="IRowMapper.OutputColumns"/>.</param>
    Delegate GetGetter(int outputIndex);
}
