using Microsoft.ML;

namespace MLNetInference.Pipeline.Internal;

/// <summary>
/// The <see cref="MLContext"/> our catalog extensions use to build stock ML.NET stand-ins at save time.
/// ML.NET keeps a catalog's environment internal, so a catalog extension cannot reach the caller's context;
/// the stand-ins need none of its state (seed, logging), so one shared context serves.
/// </summary>
internal static class CatalogContext
{
    private static readonly Lazy<MLContext> Shared = new(() => new MLContext(seed: 0));

    public static MLContext Get(TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return Shared.Value;
    }
}
