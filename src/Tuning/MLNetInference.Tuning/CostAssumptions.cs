namespace MLNetInference.Tuning;

/// <summary>The assumptions behind the energy and CO2 estimates; the report states them.</summary>
/// <remarks>Defaults: 10 W per busy CPU core, 300 W per busy GPU, 400 g CO2 per kWh (a rough world grid average).</remarks>
public sealed class CostAssumptions
{
    /// <summary>Gets or sets the power drawn by one busy CPU core, in watts.</summary>
    public double WattsPerCpuCore { get; set; } = 10;

    /// <summary>Gets or sets the power drawn by one busy GPU, in watts.</summary>
    public double WattsPerGpu { get; set; } = 300;

    /// <summary>Gets or sets the grid's carbon intensity, in grams of CO2 per kWh.</summary>
    public double GramsCo2PerKwh { get; set; } = 400;
}
