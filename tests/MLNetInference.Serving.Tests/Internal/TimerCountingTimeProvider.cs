using Microsoft.Extensions.Time.Testing;

namespace MLNetInference.Serving.Tests.Internal;

/// <summary>A <see cref="FakeTimeProvider"/> that counts the timers created on it, so a test can wait until the dispatcher waits on a delay.</summary>
internal sealed class TimerCountingTimeProvider : FakeTimeProvider
{
    private int _timersCreated;

    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timersCreated);
        return base.CreateTimer(callback, state, dueTime, period);
    }
}
