namespace MLNetInference.Serving.Repository;

/// <summary>One <c>instance_group</c> entry: how many copies of the model run, and where.</summary>
public sealed class TritonInstanceGroup
{
    /// <summary>Gets or sets the group name; optional.</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets the number of instances (per listed GPU for a GPU group). Triton's default is 1.</summary>
    public int Count { get; set; } = 1;

    /// <summary>Gets or sets where the instances run.</summary>
    public TritonInstanceKind Kind { get; set; }

    /// <summary>Gets the GPU ids of a GPU group; empty means every GPU.</summary>
    public IList<int> Gpus { get; } = [];
}
