namespace MLNetInference.Serving.Repository;

/// <summary>Where the instances of an <c>instance_group</c> run (<c>kind: KIND_CPU</c>).</summary>
public enum TritonInstanceKind
{
    /// <summary><c>KIND_AUTO</c>: on the listed GPUs when all are present, otherwise on the CPU (the default).</summary>
    Auto = 0,

    /// <summary><c>KIND_GPU</c>: on GPUs.</summary>
    Gpu = 1,

    /// <summary><c>KIND_CPU</c>: on the CPU.</summary>
    Cpu = 2,

    /// <summary><c>KIND_MODEL</c>: where the model or backend says.</summary>
    Model = 3,
}
