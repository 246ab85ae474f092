namespace MLNetInference.Serving.Repository;

/// <summary>What a warmup input is filled with.</summary>
public enum TritonWarmupData
{
    /// <summary><c>zero_data: true</c>: zeros (empty strings for TYPE_STRING).</summary>
    Zero = 0,

    /// <summary><c>random_data: true</c>: random values (zeros for TYPE_STRING).</summary>
    Random = 1,

    /// <summary><c>input_data_file</c>: raw row-major bytes from a file in the model's <c>warmup</c> folder.</summary>
    File = 2,
}
