using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MLNetInference.Benchmarks.Harness;

/// <summary>Prints records as a Markdown table and appends them as JSON lines.</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void WriteMarkdown(TextWriter writer, string title, IReadOnlyList<BenchmarkRecord> records)
    {
        writer.WriteLine();
        writer.WriteLine($"### {title}");
        writer.WriteLine();
        var load = records.Any(r => r.Clients is not null);
        writer.WriteLine(load
            ? "| variant | baseline | clients | rows/s (median) | p50 ms | p99 ms | peak RSS MB (process) | ratio vs baseline (median of paired) |"
            : "| variant | baseline | rows/s (median) | p50 ms | p99 ms | peak RSS MB (process) | ratio vs baseline (median of paired) |");
        writer.WriteLine(load ? "|---|---|---:|---:|---:|---:|---:|---|" : "|---|---|---:|---:|---:|---:|---|");
        foreach (var r in records)
        {
            var ratio = r.RatioVs is null ? "—" : string.Join(", ", r.RatioVs.Select(p => $"{p.Value:F3}× vs {p.Key}"));
            var clients = load ? $" {r.Clients?.ToString(CultureInfo.InvariantCulture) ?? "—"} |" : string.Empty;
            writer.WriteLine($"| {r.Variant} | {(r.Baseline ? "yes" : "no")} |{clients} {F(r.RowsPerS)} | {F(r.P50Ms)} | {F(r.P99Ms)} | {F(r.PeakRssMb)} | {ratio} |");
        }

        var notes = records.Select(r => r.Note).Where(n => !string.IsNullOrEmpty(n)).Distinct().ToList();
        foreach (var note in notes)
        {
            writer.WriteLine();
            writer.WriteLine($"Note: {note}");
        }
    }

    public static void AppendJson(string path, IReadOnlyList<BenchmarkRecord> records)
    {
        using var writer = new StreamWriter(path, append: true);
        foreach (var r in records)
        {
            writer.WriteLine(JsonSerializer.Serialize(r, JsonOptions));
        }
    }

    private static string F(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "—";
}
