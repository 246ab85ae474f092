using System.Globalization;
using MLNetInference.Core.Graph;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers;
using MLNetInference.Optimizers.Recipes;

// The child process of the model mutation fuzzer. Usage: MLNetInference.FuzzHost <work-list> [<first-line>]
// Each line of the work list is "<index>\t<model path>\t<recipes, ';'-separated, or '-'>". For each model it prints
// "BEGIN <index>" before touching it and "END <index>\t<stage>=<outcome>|...\t<milliseconds>" after, flushing both, so that the parent
// knows which model was in hand when this process died (a native crash) or stopped answering (a hang).
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: MLNetInference.FuzzHost <work-list> [<first-line>]");
    return 2;
}

var lines = File.ReadAllLines(args[0]);
var first = args.Length == 2 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
var output = Console.Out;
for (var i = first; i < lines.Length; i++)
{
    var fields = lines[i].Split('\t');
    var index = fields[0];
    var path = fields[1];
    var recipes = fields[2] == "-" ? [] : fields[2].Split(';');
    output.WriteLine($"BEGIN {index}");
    output.Flush();
    var started = System.Diagnostics.Stopwatch.GetTimestamp();
    var outcomes = new List<string>
    {
        Stage("load", () => OnnxModelIO.Load(path)),
        Stage("check", () => ModelChecks.Validate(OnnxModelIO.Load(path))),
    };
    foreach (var recipe in recipes)
    {
        outcomes.Add(Stage($"optimize:{recipe}", () => ModelOptimizer.Optimize(File.ReadAllBytes(path), OptimizationRecipe.Parse(recipe))));
    }

    outcomes.Add(Stage("session", () =>
    {
        using var session = new OnnxSessionFactory().Create(path, new OnnxSessionOptions { IntraOpThreads = 1 });
    }));
    var milliseconds = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    output.WriteLine($"END {index}\t{string.Join('|', outcomes)}\t{milliseconds}");
    output.Flush();
}

return 0;

// An outcome is "ok", "typed:<type>" for an error this library documents for bad models, or "untyped:<type>:<message>".
static string Stage(string name, Action action)
{
    try
    {
        action();
        return $"{name}=ok";
    }
    catch (Exception ex) when (IsTyped(ex))
    {
        return $"{name}=typed:{ex.GetType().Name}";
    }
    catch (Exception ex)
    {
        var message = ex.ToString().ReplaceLineEndings(" ").Replace('\t', ' ').Replace('|', '/');
        return $"{name}=untyped:{ex.GetType().FullName}:{(message.Length > 600 ? message[..600] : message)}";
    }
}

// The typed errors of the load path as its entry points document them: our format and load errors, a failed optimization
// pass, a failed inference run, and (ModelOptimizer) an input the verification's sample inputs cannot fill.
static bool IsTyped(Exception ex)
    => ex is OnnxFormatException or OnnxModelLoadException or PassFailedException or InferenceException or NotSupportedException;
