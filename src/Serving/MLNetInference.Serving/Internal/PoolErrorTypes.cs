namespace MLNetInference.Serving.Internal;

/// <summary>The short <c>error.type</c> codes for failures the pool decides; a model's own failure is its exception's type name.</summary>
internal static class PoolErrorTypes
{
    public const string Timeout = "timeout";
    public const string Cancelled = "cancelled";
    public const string Shutdown = "shutdown";
    public const string QueueFull = "queue_full";
    public const string InvalidInput = "invalid_input";
    public const string Unavailable = "unavailable";

    /// <summary>The <c>error.type</c> of an exception a model threw: its type's full name, as the semantic conventions ask.</summary>
    public static string Of(Exception exception) => exception.GetType().FullName ?? exception.GetType().Name;
}
