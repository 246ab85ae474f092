using System.ComponentModel.DataAnnotations;

namespace MLNetInference.Samples.EmbeddingService.RateLimiting;

/// <summary>
/// The <c>RateLimiting</c> configuration section: one token bucket per client on the inference endpoints. A client is
/// the authenticated caller (the API key's client name, or the token's subject) or, without authentication, the
/// remote address.
/// </summary>
public sealed class ClientRateLimitOptions
{
    public const string SectionName = "RateLimiting";

    /// <summary>Gets or sets whether the inference endpoints are rate limited per client.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the bucket's size: the most requests a client may send in one burst.</summary>
    [Range(1, int.MaxValue)]
    public int TokenLimit { get; set; } = 200;

    /// <summary>Gets or sets how many requests a client regains each <see cref="ReplenishmentPeriod"/>.</summary>
    [Range(1, int.MaxValue)]
    public int TokensPerPeriod { get; set; } = 100;

    /// <summary>Gets or sets how often a client's bucket is refilled.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many requests over the limit wait for a token instead of getting 429 at once.</summary>
    [Range(0, int.MaxValue)]
    public int QueueLimit { get; set; }
}
