using System.IO.Compression;
using Microsoft.ML;

namespace MLNetInference.Pipeline.Serialization;

/// <summary>
/// A transformer of ours whose state MLNetInference writes into its own entries of an ML.NET model zip,
/// next to the stock entries that <see cref="ICanSaveModel.Save"/> writes. The loader rebuilds the
/// transformer from those entries.
/// </summary>
/// <remarks>
/// Implementations also implement <see cref="ICanSaveModel.Save"/> by delegating to an equivalent stock
/// ML.NET transformer, so that stock <c>mlContext.Model.Load</c> can read the zip.
/// Each implementation has a static <c>LoadState(MLContext, ZipArchive, string prefix)</c> that the
/// model serializer calls for its <see cref="PersistKind"/>.
/// </remarks>
internal interface IPersistableTransformer : ITransformer
{
    /// <summary>The kind name the loader dispatches on, for example <c>"OnnxBatchScoring"</c>.</summary>
    string PersistKind { get; }

    /// <summary>Writes this transformer's state as entries whose names start with <paramref name="prefix"/>.</summary>
    /// <param name="archive">The model zip, open for update.</param>
    /// <param name="prefix">The entry-name prefix for this stage, ending with '/'.</param>
    void WriteState(ZipArchive archive, string prefix);
}
