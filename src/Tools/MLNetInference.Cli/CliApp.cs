using System.CommandLine;

namespace MLNetInference.Cli;

/// <summary>The mlnet-infer command line: its root command and every subcommand.</summary>
internal static class CliApp
{
    public static RootCommand Create() => new("MLNetInference: optimize ONNX models for fast, cheap inference in .NET, checked against the original.")
    {
        OptimizeCommand.Create(),
        TuneCommand.Create(),
        ExportCommand.Create(),
    };
}
