using System.ComponentModel.DataAnnotations;

namespace MLNetInference.Samples.EmbeddingService;

/// <summary>The <c>Embedder</c> configuration section (batching settings live in <c>Embedder:Batching</c>).</summary>
public sealed class EmbedderOptions
{
    public const string SectionName = "Embedder";

    /// <summary>The name the model is served under in the pool, the health report and the metrics.</summary>
    public const string ModelName = "minilm";

    /// <summary>
    /// Gets or sets the embedder zip. Empty: <c>models/cache/embedder/minilm-embedder.zip</c> of the repository, or
    /// <c>models-cache/embedder/minilm-embedder.zip</c> next to the app. Relative paths are under the content root.
    /// Built at startup when missing.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>Gets or sets the most characters one text may have; 0 means no limit.</summary>
    [Range(0, int.MaxValue)]
    public int MaxTextLength { get; set; } = 2000;

    /// <summary>Gets or sets the most texts one <c>/embed/batch</c> request may hold.</summary>
    [Range(1, int.MaxValue)]
    public int MaxBatchTexts { get; set; } = 64;

    /// <summary>
    /// Gets or sets the largest request body Kestrel accepts, in bytes (default 1 MiB: a full batch of texts at their
    /// limit fits, even JSON-escaped). A larger body gets 413 before it is read, so one request cannot fill the memory.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    /// <summary>Gets or sets whether replacing the zip reloads the model in the background.</summary>
    public bool WatchForChanges { get; set; }
}
