using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MLNetInference.Serving.Tests;

/// <summary>Keeps every log message with its category, for asserting on warnings.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text, string Category)> _messages = new();

    public IReadOnlyCollection<(LogLevel Level, string Text, string Category)> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => new Logger(_messages, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<(LogLevel Level, string Text, string Category)> messages, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => messages.Enqueue((logLevel, formatter(state, exception), category));
    }
}
