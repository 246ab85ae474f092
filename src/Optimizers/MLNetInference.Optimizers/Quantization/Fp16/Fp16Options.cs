namespace MLNetInference.Optimizers.Quantization.Fp16;

/// <summary>Settings of <see cref="Fp16ConversionPass"/>: which float initializers are stored as fp16 and which stay fp32.</summary>
public sealed class Fp16Options
{
    /// <summary>
    /// The op types whose constant inputs stay fp32 by default: the ones ONNX Runtime's float16 converter blocks
    /// (traditional-ML operators, and operators whose float inputs are indices, thresholds or sizes where fp16 rounding
    /// changes the result).
    /// </summary>
    public static IReadOnlyCollection<string> DefaultBlockedOpTypes { get; } =
    [
        "ArrayFeatureExtractor", "Binarizer", "CastMap", "CategoryMapper", "DictVectorizer", "FeatureVectorizer",
        "Imputer", "LabelEncoder", "LinearClassifier", "LinearRegressor", "Normalizer", "OneHotEncoder",
        "RandomUniformLike", "SVMClassifier", "SVMRegressor", "Scaler", "TreeEnsembleClassifier",
        "TreeEnsembleRegressor", "ZipMap", "NonMaxSuppression", "TopK", "RoiAlign", "Resize", "Range", "CumSum",
        "Min", "Max", "Upsample",
    ];

    /// <summary>
    /// Gets the op types (compared ordinally, any domain) whose float initializer inputs stay fp32; an initializer read by
    /// any blocked node stays fp32. <see cref="DefaultBlockedOpTypes"/> by default.
    /// </summary>
    public IReadOnlyCollection<string> BlockedOpTypes { get; init; } = DefaultBlockedOpTypes;

    /// <summary>Gets the names of nodes (compared ordinally) whose float initializer inputs stay fp32.</summary>
    public IReadOnlyCollection<string> ExcludedNodeNames { get; init; } = [];

    /// <summary>
    /// Gets the fewest elements an initializer must have to be stored as fp16 (default 16): scalars and tiny constants,
    /// such as a normalization epsilon of 1e-12 that fp16 would flush to zero, stay fp32 and cost next to nothing.
    /// </summary>
    public int MinimumElements { get; init; } = 16;
}
