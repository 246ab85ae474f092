namespace MLNetInference.Tuning;

/// <summary>The estimated cost of one million predictions with a configuration, at its measured throughput.</summary>
/// <param name="Device">What the seconds count: <c>cpu-core</c> or <c>gpu</c>.</param>
/// <param name="DeviceSecondsPerMillion">Busy device-seconds (cores × wall seconds on the CPU) per million predictions.</param>
/// <param name="KwhPerMillion">Energy per million predictions, in kWh.</param>
/// <param name="GramsCo2PerMillion">CO2 per million predictions, in grams.</param>
public sealed record CostEstimate(string Device, double DeviceSecondsPerMillion, double KwhPerMillion, double GramsCo2PerMillion)
{
    /// <summary>Estimates the cost of a measured configuration.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <param name="performance">Its measurement.</param>
    /// <param name="assumptions">The power and grid assumptions.</param>
    /// <returns>The estimate.</returns>
    public static CostEstimate For(TrialConfiguration configuration, PerformanceResult performance, CostAssumptions assumptions)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(performance);
        ArgumentNullException.ThrowIfNull(assumptions);
        var gpu = configuration.Session.Provider != MLNetInference.Core.Runtime.ExecutionProvider.Cpu;
        var cores = Math.Max(1, Environment.ProcessorCount);
        var threads = configuration.Session.IntraOpThreads == 0 ? cores : configuration.Session.IntraOpThreads;
        var devices = gpu ? 1 : Math.Min(cores, configuration.Batching.Workers * threads);
        var seconds = performance.RowsPerSecond <= 0 ? double.PositiveInfinity : 1e6 * devices / performance.RowsPerSecond;
        var kwh = seconds * (gpu ? assumptions.WattsPerGpu : assumptions.WattsPerCpuCore) / 3.6e6;
        return new CostEstimate(gpu ? "gpu" : "cpu-core", seconds, kwh, kwh * assumptions.GramsCo2PerKwh);
    }
}
