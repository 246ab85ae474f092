using System.Globalization;

namespace MLNetInference.Tuning;

/// <summary>The pool's batching settings of one trial.</summary>
/// <param name="MaxBatchSize">The most requests in one batch.</param>
/// <param name="MaxQueueDelayMs">How long the oldest queued request waits for more to join its batch, in milliseconds.</param>
/// <param name="Workers">Batch workers (one session each) running at once.</param>
public sealed record BatchingSettings(int MaxBatchSize, double MaxQueueDelayMs, int Workers)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"batch {MaxBatchSize}, delay {MaxQueueDelayMs:0.#} ms, {Workers} worker{(Workers == 1 ? string.Empty : "s")}");
}
