using MLNetInference.Serving.Internal;

namespace MLNetInference.Serving.Tests.Internal;

/// <summary>
/// A fake batch worker: records every batch it is given, can hold each batch behind a gate until the test opens it,
/// and throws for batches that hold a chosen request. Each result is <see cref="ResultFor"/> of its request.
/// </summary>
internal sealed class RecordingExecutor : IBatchExecutor<string, string>
{
    private readonly Lock _lock = new();
    private readonly List<string[]> _batches = [];
    private readonly ManualResetEventSlim _gate;
    private readonly string? _failOn;
    private Exception? _lastFailure;

    public RecordingExecutor(bool blocked = false, string? failOn = null)
    {
        _gate = new ManualResetEventSlim(!blocked);
        _failOn = failOn;
    }

    /// <summary>Gets a snapshot of the batches received so far, in order.</summary>
    public IReadOnlyList<string[]> Batches
    {
        get
        {
            lock (_lock)
            {
                return [.. _batches];
            }
        }
    }

    /// <summary>Gets every request received so far, over all batches.</summary>
    public IReadOnlyList<string> Seen => [.. Batches.SelectMany(b => b)];

    /// <summary>Gets the exception thrown last (for a batch holding the failing request).</summary>
    public Exception? LastFailure
    {
        get
        {
            lock (_lock)
            {
                return _lastFailure;
            }
        }
    }

    public static string ResultFor(string request) => "r:" + request;

    /// <summary>Opens the gate: the held batch and every later one run.</summary>
    public void Release() => _gate.Set();

    public void Execute(ReadOnlySpan<string> requests, Span<string> results)
    {
        var batch = requests.ToArray();
        lock (_lock)
        {
            _batches.Add(batch);
        }

        _gate.Wait();
        if (_failOn is not null && Array.IndexOf(batch, _failOn) >= 0)
        {
            var failure = new InvalidOperationException($"Request '{_failOn}' cannot be scored.");
            lock (_lock)
            {
                _lastFailure = failure;
            }

            throw failure;
        }

        for (var i = 0; i < requests.Length; i++)
        {
            results[i] = ResultFor(requests[i]);
        }
    }
}
