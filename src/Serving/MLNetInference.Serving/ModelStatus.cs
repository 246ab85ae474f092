namespace MLNetInference.Serving;

/// <summary>The state of one model in a prediction engine pool.</summary>
public enum ModelStatus
{
    /// <summary>The first load is in progress.</summary>
    Loading = 0,

    /// <summary>The model serves requests.</summary>
    Loaded = 1,

    /// <summary>A new version is loading in the background; the current one keeps serving.</summary>
    Reloading = 2,

    /// <summary>The last reload failed; the previous version keeps serving.</summary>
    ReloadFailed = 3,

    /// <summary>No version could be loaded; requests fail with <see cref="ModelUnavailableException"/>.</summary>
    Failed = 4,
}
