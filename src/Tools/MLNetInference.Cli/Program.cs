using System.CommandLine;
using MLNetInference.Cli;

var root = new RootCommand("MLNetInference: optimize ONNX models for fast, cheap inference in .NET, checked against the original.")
{
    OptimizeCommand.Create(),
    TuneCommand.Create(),
};
return root.Parse(args).Invoke();
