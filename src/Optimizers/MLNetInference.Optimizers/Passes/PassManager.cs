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
/// changed it — every node input defined, no cycle — and a pass that broke it is named the same way.
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

    /// <summary>Gets the report of the last run; <see langword="null"/> before the first.</summary>
    public PassManagerReport? LastReport { get; private set; }

    /// <inheritdoc />
    protected override bool RunCore(ModelProto model)
    {
        var runs = new int[_passes.Length];
        var changes = new int[_passes.Length];
        var anyChange = false;
        var iterations = 0;
        var fixpoint = false;
        while (iterations < MaxIterations)
        {
            iterations++;
            var roundChanged = false;
            for (var i = 0; i < _passes.Length; i++)
            {
                var pass = _passes[i];
                runs[i]++;
                if (!pass.Run(model))
                {
                    continue;
                }

                changes[i]++;
                roundChanged = true;
                if (ValidateAfterEachChange)
                {
                    CheckGraph(pass, model);
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

        LastReport = new PassManagerReport(iterations, fixpoint, summaries);
        return anyChange;
    }

    private static void CheckGraph(ModelPass pass, ModelProto model)
    {
        try
        {
            ModelChecks.Validate(model);
        }
        catch (OnnxFormatException ex)
        {
            throw new PassFailedException(pass.Name, $"Pass '{pass.Name}' left an invalid graph: {ex.Message}", ex);
        }
    }
}
