using System.Globalization;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Tuning;

/// <summary>
/// One model-rewriting choice of the search space: a recipe in the optimizer's language (for example
/// <c>fuse+int8-dynamic</c>, or <c>none</c> for the original model) and optional settings of its quantization step.
/// </summary>
/// <param name="Name">A short unique name for reports, for example <c>int8-per-channel</c>.</param>
/// <param name="Recipe">The recipe parsed by <see cref="OptimizationRecipe.Parse"/>, or <c>none</c>.</param>
public sealed record RecipeCandidate(string Name, string Recipe)
{
    /// <summary>The recipe text that keeps the original model.</summary>
    public const string NoRecipe = "none";

    /// <summary>Gets the settings of the <c>int8-dynamic</c> step; the step's defaults when <see langword="null"/>.</summary>
    public DynamicInt8Options? Int8 { get; init; }

    /// <summary>Gets the settings of the <c>int4-weights</c> step; the step's defaults when <see langword="null"/>.</summary>
    public Int4Options? Int4 { get; init; }

    /// <summary>Gets a value indicating whether the candidate quantizes weights (and so may fall back to float for some nodes).</summary>
    public bool Quantizes => Recipe.Contains(OptimizationRecipe.Int8Dynamic, StringComparison.Ordinal) || Recipe.Contains(OptimizationRecipe.Int4Weights, StringComparison.Ordinal);

    /// <summary>Gets the node names kept in float by the quantization step.</summary>
    public IReadOnlyList<string> ExcludedNodes =>
        Int8?.ExcludedNodeNames.ToArray() ?? Int4?.ExcludedNodeNames.ToArray() ?? [];

    /// <summary>Gets a text that identifies the candidate's effect on the model, for cache keys.</summary>
    public string Key
    {
        get
        {
            var key = Recipe;
            if (Int8 is { } i8)
            {
                key += string.Create(CultureInfo.InvariantCulture, $"|int8:pc={i8.PerChannel},rr={i8.ReduceRange},t={i8.WeightType},min={i8.MinimumWeightElements},fb={i8.FoldBias},xo={string.Join(',', i8.ExcludedOpTypes.Order(StringComparer.Ordinal))},xn={string.Join(',', i8.ExcludedNodeNames.Order(StringComparer.Ordinal))}");
            }

            if (Int4 is { } i4)
            {
                key += string.Create(CultureInfo.InvariantCulture, $"|int4:b={i4.BlockSize},s={i4.Symmetric},e={i4.ErrorMinimizingScales},a={i4.AccuracyLevel},k={i4.KeepMostSensitiveInFloat},min={i4.MinimumWeightElements},xo={string.Join(',', i4.ExcludedOpTypes.Order(StringComparer.Ordinal))},xn={string.Join(',', i4.ExcludedNodeNames.Order(StringComparer.Ordinal))}");
            }

            return key;
        }
    }

    /// <summary>Returns a copy whose quantization step keeps the given nodes in float.</summary>
    /// <param name="nodeNames">The node names.</param>
    /// <returns>The new candidate, named after the count of float nodes.</returns>
    public RecipeCandidate WithExcludedNodes(IReadOnlyCollection<string> nodeNames)
    {
        ArgumentNullException.ThrowIfNull(nodeNames);
        var baseName = Name.Split(" (", 2)[0];
        var name = nodeNames.Count == 0 ? baseName : $"{baseName} ({nodeNames.Count} float nodes)";
        var int8 = Int8 ?? (Recipe.Contains(OptimizationRecipe.Int8Dynamic, StringComparison.Ordinal) ? new DynamicInt8Options() : null);
        var int4 = Int4 ?? (Recipe.Contains(OptimizationRecipe.Int4Weights, StringComparison.Ordinal) ? Int4Options.RecipeDefault : null);
        return this with
        {
            Name = name,
            Int8 = int8 is null ? null : new DynamicInt8Options
            {
                PerChannel = int8.PerChannel,
                ReduceRange = int8.ReduceRange,
                WeightType = int8.WeightType,
                ExcludedOpTypes = int8.ExcludedOpTypes,
                ExcludedNodeNames = [.. nodeNames],
                MinimumWeightElements = int8.MinimumWeightElements,
                FoldBias = int8.FoldBias,
            },
            Int4 = int4 is null ? null : new Int4Options
            {
                BlockSize = int4.BlockSize,
                Symmetric = int4.Symmetric,
                ErrorMinimizingScales = int4.ErrorMinimizingScales,
                AccuracyLevel = int4.AccuracyLevel,
                ExcludedOpTypes = int4.ExcludedOpTypes,
                ExcludedNodeNames = [.. nodeNames],
                MinimumWeightElements = int4.MinimumWeightElements,
                KeepMostSensitiveInFloat = int4.KeepMostSensitiveInFloat,
                SensitivitySamples = int4.SensitivitySamples,
            },
        };
    }

    /// <summary>Compares two candidates by name and by their effect on the model (<see cref="Key"/>), not by option instances.</summary>
    /// <param name="other">The other candidate.</param>
    /// <returns><see langword="true"/> when both have the same name and key.</returns>
    public bool Equals(RecipeCandidate? other) => other is not null && Name == other.Name && Key == other.Key;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Key);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
