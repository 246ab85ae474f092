using MLNetInference.Benchmarks;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Benchmarks.Workloads;

var arguments = BenchmarkArguments.TryParse(args, out var error);
if (arguments is null)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(BenchmarkArguments.Usage);
    return 2;
}

IWorkload[] workloads = [new ServiceWorkload(), new KernelCeilingWorkload(), new Int8Workload(), new Int8RecipeWorkload(), new OverheadWorkload(), new SmallModelWorkload(), new NodeCountWorkload(), new LoadTimeWorkload(), new EstimatorWorkload(), new TuneWorkload(), new ReloadWorkload(), new FuseWorkload(), new ZooWorkload(), new RealImageInt8Workload(), new Int4Workload(), new CpuCostWorkload(), new SoakWorkload(), new OpenInferenceWorkload()];
var machine = MachineInfo.Current();
Console.WriteLine(machine.ToMarkdown());
Console.WriteLine($"Command: {string.Join(' ', args)}");
if (arguments.JsonPath is { } jsonPath)
{
    File.WriteAllText(jsonPath, string.Empty);
}

foreach (var name in arguments.Workloads)
{
    var workload = workloads.First(w => w.Name == name);
    Console.Error.WriteLine($"[{workload.Name}] {workload.Title}{(arguments.Quick ? " (quick)" : string.Empty)}");
    var records = workload.Run(arguments.Quick, Console.Error);
    ReportWriter.WriteMarkdown(Console.Out, workload.Title, records);
    if (arguments.JsonPath is { } path)
    {
        ReportWriter.AppendJson(path, records);
    }
}

return 0;
