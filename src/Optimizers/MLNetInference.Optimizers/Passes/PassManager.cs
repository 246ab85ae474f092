using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// Runs a sequence of passes over and over until a whole round changes nothing (a fixpoint), or until
/// <see cref="MaxIterations"/> rounds have run. It is itself a <see cref="ModelPass"/>, so managers nest.
/// </summary>
/// <remarks>
/// A pass that throws surfaces as a <see cref="PassFailedException"/> naming that pass (the innermost one when managers
/// nest). With <see cref="ValidateAfterEachChange"/> on (the default), the graph is checked after every pass that
/// changed it — every node input defined, no cycle, and no node the pass left outside its op's schema at the model's
/// opset (<see cref="ModelChecks.FindSchemaProblems"/>; only problems the pass introduced count) — and a pass that broke
/// it is named the same way.
/// <para>
/// With <see cref="RollBackFailedPasses"/> on, a pass that throws or fails that check does not stop the run: the model
/// is put back as it was before the pass ran, the pass is left out for the rest of the run, and
/// <see cref="PassManagerReport.RolledBack"/> names it and says why.
/// </para>
/// </remarks>
public sealed class PassManager : ModelPass
{
    /// <summary>The default limit on rounds.</summary>
    public const int DefaultMaxIterations = 10;

    private readonly ModelPass[] _passes;

    /// <summary>Initializes a new instance of the <see cref="PassManager"/> class.</summary>
    /// <param name="passes">The passes, run in this order in each round.</param>
    /// <param name="maxIterations">The most rounds to run; <see cref="DefaultMaxIterations"/> by default.</param>
    /// <param name="name">The manager's own name, used when it is nested; <c>"pass-manager"</c> by default.</param>
    /// <exception cref="ArgumentException"><paramref name="passes"/> holds <see langword="null"/>, or <paramref name="name"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxIterations"/> is less than 1.</exception>
    public PassManager(IEnumerable<ModelPass> passes, int maxIterations = DefaultMaxIterations, string name = "pass-manager")
    {
        ArgumentNullException.ThrowIfNull(passes);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        _passes = [.. passes];
        if (Array.Exists(_passes, p => p is null))
        {
            throw new ArgumentException("The pass list holds a null pass.", nameof(passes));
        }

        MaxIterations = maxIterations;
        Name = name;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>Gets the passes, in the order they run.</summary>
    public IReadOnlyList<ModelPass> Passes => _passes;

    /// <summary>Gets the most rounds a run may take.</summary>
    public int MaxIterations { get; }

    /// <summary>Gets or sets a value indicating whether the graph is checked after each pass that changed it. Default <see langword="true"/>.</summary>
    public bool ValidateAfterEachChange { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether a pass that throws or leaves an invalid graph is rolled back and left out
    /// (and named in <see cref="PassManagerReport.RolledBack"/>) instead of failing the run. Default <see langword="false"/>.
    /// </summary>
    public bool RollBackFailedPasses { get; set; }

    /// <summary>
    /// Gets or sets a check run after each pass that changed the model and passed the structural check: it returns why
    /// the model is wrong (for example, its outputs moved away from the original's), or <see langword="null"/>. Used
    /// with <see cref="RollBackFailedPasses"/>; a pass it rejects is rolled back like one that broke the graph.
    /// </summary>
    internal Func<ModelProto, string?>? RunningCheck { get; set; }

    /// <summary>Gets the report of the last run; <see langword="null"/> before the first.</summary>
    public PassManagerReport? LastReport { get; private set; }

    /// <inheritdoc />
    protected override bool RunCore(ModelProto model)
    {
        var runs = new int[_passes.Length];
        var changes = new int[_passes.Length];
        var disabled = new bool[_passes.Length];
        var rolledBack = new List<PassRollback>();
        var skipped = FindSkippedRules(model);
        var anyChange = false;
        var iterations = 0;
        var fixpoint = false;
        while (iterations < MaxIterations)
        {
            iterations++;
            var roundChanged = false;
            for (var i = 0; i < _passes.Length; i++)
            {
                if (disabled[i])
                {
                    continue;
                }

                var pass = _passes[i];
                runs[i]++;
                if (!RollBackFailedPasses)
                {
                    var before = ValidateAfterEachChange ? ModelChecks.FindSchemaProblems(model) : [];
                    if (!pass.Run(model))
                    {
                        continue;
                    }

                    changes[i]++;
                    roundChanged = true;
                    if (ValidateAfterEachChange)
                    {
                        if (CheckGraph(model, before) is { } problem)
                        {
                            throw new PassFailedException(pass.Name, $"Pass '{pass.Name}' left an invalid graph: {problem}");
                        }
                    }

                    continue;
                }

                var (changed, rollback) = RunGuarded(pass, model);
                if (rollback is not null)
                {
                    disabled[i] = true;
                    rolledBack.Add(rollback);
                    continue;
                }

                if (changed)
                {
                    changes[i]++;
                    roundChanged = true;
                }
            }

            anyChange |= roundChanged;
            if (!roundChanged)
            {
                fixpoint = true;
                break;
            }
        }

        var summaries = new PassRunSummary[_passes.Length];
        for (var i = 0; i < _passes.Length; i++)
        {
            summaries[i] = new PassRunSummary(_passes[i].Name, runs[i], changes[i]);
        }

        LastReport = new PassManagerReport(iterations, fixpoint, summaries) { RolledBack = rolledBack, SkippedRules = skipped };
        return anyChange;
    }

    /// <summary>Lists the rules of this manager's rule-based passes and cleanup (nested managers included) that the model's opsets rule out.</summary>
    private List<RuleSkip> FindSkippedRules(ModelProto model)
    {
        var skipped = new List<RuleSkip>();
        OnnxGraph? graph = null;
        void Visit(IEnumerable<ModelPass> passes)
        {
            foreach (var pass in passes)
            {
                if (pass is RuleBasedPass rules)
                {
                    graph ??= new OnnxGraph(model);
                    skipped.AddRange(rules.FindSkippedRules(graph));
                }
                else if (pass is RemoveIdentityAndDropout cleanup)
                {
                    graph ??= new OnnxGraph(model);
                    skipped.AddRange(RuleBasedPass.FindSkippedRules(cleanup.Name, cleanup.Rules, graph));
                }
                else if (pass is PassManager nested)
                {
                    Visit(nested.Passes);
                }
            }
        }

        try
        {
            Visit(_passes);
        }
        catch (OnnxFormatException)
        {
            // A malformed graph: the passes themselves report it, naming the pass.
            return [];
        }

        return skipped;
    }

    /// <summary>Runs one pass guarded by a snapshot: whether it changed the model, and the rollback when it failed (the model restored).</summary>
    private (bool Changed, PassRollback? Rollback) RunGuarded(ModelPass pass, ModelProto model)
    {
        var snapshot = model.Clone();
        var before = ModelChecks.FindSchemaProblems(model);
        string? problem;
        string check;
        try
        {
            if (!pass.Run(model))
            {
                return (false, null);
            }

            check = "structure";
            problem = CheckGraph(model, before);
            if (problem is null && RunningCheck is not null)
            {
                check = "run";
                problem = RunningCheck(model);
            }
        }
        catch (PassFailedException ex)
        {
            check = "exception";
            problem = ex.InnerException?.Message ?? ex.Message;
        }

        if (problem is null)
        {
            return (true, null);
        }

        Restore(model, snapshot);
        return (false, new PassRollback(pass.Name, check, problem));
    }

    private static void Restore(ModelProto model, ModelProto snapshot)
    {
        model.Graph = snapshot.Graph;
        model.OpsetImport.Clear();
        model.OpsetImport.Add(snapshot.OpsetImport);
        model.Functions.Clear();
        model.Functions.Add(snapshot.Functions);
        model.MetadataProps.Clear();
        model.MetadataProps.Add(snapshot.MetadataProps);
    }

    /// <summary>Checks the graph after a pass: well-formed, acyclic, and no schema problem that was not there before the pass.</summary>
    private string? CheckGraph(ModelProto model, IReadOnlyList<string> problemsBefore)
    {
        if (!ValidateAfterEachChange)
        {
            return null;
        }

        try
        {
            ModelChecks.Validate(model);
        }
        catch (OnnxFormatException ex)
        {
            return ex.Message;
        }

        var known = new HashSet<string>(problemsBefore, StringComparer.Ordinal);
        var introduced = ModelChecks.FindSchemaProblems(model).Where(p => !known.Contains(p)).ToList();
        return introduced.Count == 0 ? null : string.Join(" ", introduced.Take(3)) + (introduced.Count > 3 ? $" (and {introduced.Count - 3} more)" : string.Empty);
    }
}
