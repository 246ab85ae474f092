using MLNetInference.Cli;

return CliApp.Create().Parse(args).Invoke();
