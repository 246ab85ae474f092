using System.Text.Json;
using System.Text.Json.Serialization;
using MLNetInference.Serving;

namespace MLNetInference.Tuning.Internal;

/// <summary>Writes a tuning run's files: report.json, report.md, pareto.png and tuned.json.</summary>
internal static class ReportFiles
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteJson(TuningReport report, string path)
    {
        var document = new
        {
            report.ModelPath,
            report.Metric,
            report.MaxDrop,
            report.P99CeilingMs,
            report.Concurrency,
            report.Strategy,
            ElapsedSeconds = report.Elapsed.TotalSeconds,
            report.CacheHits,
            report.Evaluations,
            report.Machine,
            BestTrial = report.Best.Id,
            BaselineTrial = report.Baseline?.Id,
            report.SpeedupOverBaseline,
            CostAssumptions = report.Assumptions,
            BestCostPerMillion = report.BestCost,
            BaselineCostPerMillion = report.BaselineCost,
            report.QuantizationWarning,
            report.FailedRecipes,
            report.UnchangedRecipes,
            Trials = report.Trials.Select(t => new
            {
                t.Id,
                Recipe = t.Configuration.Candidate.Name,
                RecipeSteps = t.Configuration.Candidate.Recipe,
                FloatNodes = t.Configuration.Candidate.ExcludedNodes,
                t.Configuration.Session,
                t.Configuration.Batching,
                t.Status,
                t.IsBaseline,
                t.Accuracy,
                t.Performance,
                t.Rung,
                t.Cached,
                t.Error,
            }),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, JsonOptions));
    }

    public static void WriteMarkdown(TuningReport report, string path) => File.WriteAllText(path, report.ToMarkdown());

    public static void WriteTunedModel(TuningTrial best, string path)
    {
        var configuration = best.Configuration;
        new TunedModelDescription
        {
            ModelPath = "model.onnx",
            Recipe = configuration.Candidate.Name,
            ExecutionProvider = configuration.Session.Provider,
            GraphOptimizationLevel = configuration.Session.OptimizationLevel,
            IntraOpThreadsPerWorker = configuration.Session.IntraOpThreads,
            WorkersPerDevice = configuration.Batching.Workers,
            MaxBatchSize = configuration.Batching.MaxBatchSize,
            MaxQueueDelayMs = configuration.Batching.MaxQueueDelayMs,
        }.Save(path);
    }

    /// <summary>Plots p99 latency against accuracy for every timed trial; the best and the Pareto front stand out.</summary>
    public static void WriteChart(TuningReport report, string path)
    {
        var plot = new ScottPlot.Plot();
        var cosine = report.Metric == AccuracyMetric.Cosine;
        double Y(TuningTrial t) => cosine ? t.Accuracy!.MeanCosine : t.Accuracy!.Top1Agreement;
        var timed = report.Trials.Where(t => t.Performance is not null && t.Accuracy is not null).ToList();
        void Series(IEnumerable<TuningTrial> trials, string label, ScottPlot.Color color, float size)
        {
            var list = trials.ToList();
            if (list.Count == 0)
            {
                return;
            }

            var scatter = plot.Add.ScatterPoints(list.Select(t => t.Performance!.P99Ms).ToArray(), list.Select(Y).ToArray());
            scatter.Color = color;
            scatter.MarkerSize = size;
            scatter.LegendText = label;
        }

        Series(timed.Where(t => t.Status == TrialStatus.Pruned), "pruned (short timing)", ScottPlot.Colors.Gray, 6);
        Series(timed.Where(t => t.Status == TrialStatus.RejectedLatency), "above the latency ceiling", ScottPlot.Colors.Orange, 7);
        Series(timed.Where(t => t.Status == TrialStatus.Passed && !ReferenceEquals(t, report.Best)), "within budget", ScottPlot.Colors.SteelBlue, 8);
        Series(timed.Where(t => t.IsBaseline), "baseline (ORT defaults)", ScottPlot.Colors.Black, 10);
        Series(timed.Where(t => ReferenceEquals(t, report.Best)), "best", ScottPlot.Colors.Red, 13);
        var floor = 1 - report.MaxDrop;
        var line = plot.Add.HorizontalLine(floor);
        line.LegendText = "accuracy budget";
        line.LinePattern = ScottPlot.LinePattern.Dashed;
        if (report.P99CeilingMs is { } ceiling)
        {
            var vertical = plot.Add.VerticalLine(ceiling);
            vertical.LegendText = "p99 ceiling";
            vertical.LinePattern = ScottPlot.LinePattern.Dashed;
        }

        plot.Title($"{Path.GetFileName(report.ModelPath)}: p99 latency vs accuracy at {report.Concurrency} clients");
        plot.XLabel("p99 latency (ms)");
        plot.YLabel(cosine ? "mean cosine to the original" : "top-1 agreement with the original");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 560);
    }
}
