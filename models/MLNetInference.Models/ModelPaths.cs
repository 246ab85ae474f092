namespace MLNetInference.Models;

/// <summary>Placeholder; filled in by the models work.</summary>
public static class ModelPaths
{
}
