namespace MLNetInference.Serving.Repository;

/// <summary>
/// A model configuration (<c>config.pbtxt</c>) that cannot be read or served: a syntax error, an unknown field, a
/// wrong value or a missing part. The message names the file and the line.
/// </summary>
public sealed class ModelConfigException : FormatException
{
    /// <summary>Initializes a new instance of the <see cref="ModelConfigException"/> class.</summary>
    /// <param name="source">The file (or other source name) the configuration came from.</param>
    /// <param name="line">The 1-based line of the problem, or 0 when it concerns the whole configuration.</param>
    /// <param name="problem">What is wrong, and what to do.</param>
    public ModelConfigException(string source, int line, string problem)
        : base(line > 0 ? $"{source}({line}): {problem}" : $"{source}: {problem}")
    {
        FilePath = source;
        Line = line;
        Problem = problem;
    }

    /// <summary>Gets the file (or other source name) the configuration came from.</summary>
    public string FilePath { get; }

    /// <summary>Gets the 1-based line of the problem, or 0 when it concerns the whole configuration.</summary>
    public int Line { get; }

    /// <summary>Gets what is wrong, without the file and line.</summary>
    public string Problem { get; }
}
