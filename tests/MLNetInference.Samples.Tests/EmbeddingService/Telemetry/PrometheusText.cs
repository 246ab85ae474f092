using System.Globalization;
using System.Text;

namespace MLNetInference.Samples.Tests.EmbeddingService.Telemetry;

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4): <c># HELP</c> and <c># TYPE</c> lines, then
/// samples <c>name{label="value",...} value [timestamp]</c>. Every sample must belong to a family whose type was
/// declared before it; a histogram's samples are its <c>_bucket</c>, <c>_sum</c> and <c>_count</c> series.
/// </summary>
internal sealed class PrometheusText
{
    private PrometheusText(Dictionary<string, MetricFamily> families)
    {
        Families = families;
    }

    public IReadOnlyDictionary<string, MetricFamily> Families { get; }

    /// <summary>Parses a scrape; throws <see cref="FormatException"/> naming the line that breaks the format.</summary>
    public static PrometheusText Parse(string text)
    {
        var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (line.StartsWith('#'))
                {
                    ReadComment(line, families);
                }
                else
                {
                    var sample = ReadSample(line);
                    Owner(sample.Name, families).Samples.Add(sample);
                }
            }
            catch (FormatException ex)
            {
                throw new FormatException($"Line {lineNumber} is not Prometheus text ({ex.Message}): {line}", ex);
            }
        }

        return new PrometheusText(families);
    }

    /// <summary>Reads one series of a histogram family: the buckets (cumulative, ending at +Inf), the sum and the count.</summary>
    public Histogram GetHistogram(string family, Func<IReadOnlyDictionary<string, string>, bool> series)
    {
        if (!Families.TryGetValue(family, out var metric))
        {
            throw new KeyNotFoundException($"No metric family '{family}'. Families: {string.Join(", ", Families.Keys)}");
        }

        if (metric.Type != "histogram")
        {
            throw new FormatException($"'{family}' is a {metric.Type}, not a histogram.");
        }

        var buckets = new List<(double UpperBound, double Count)>();
        double? sum = null, count = null;
        foreach (var sample in metric.Samples)
        {
            if (!series(WithoutLe(sample.Labels)))
            {
                continue;
            }

            if (sample.Name == family + "_bucket")
            {
                var le = sample.Labels.TryGetValue("le", out var bound) ? bound : throw new FormatException($"A bucket of '{family}' has no 'le' label.");
                buckets.Add((ParseValue(le), sample.Value));
            }
            else if (sample.Name == family + "_sum")
            {
                sum = sample.Value;
            }
            else if (sample.Name == family + "_count")
            {
                count = sample.Value;
            }
        }

        if (buckets.Count == 0 || sum is null || count is null)
        {
            throw new FormatException($"The series of '{family}' lacks buckets, _sum or _count.");
        }

        return new Histogram(buckets, sum.Value, count.Value);
    }

    private static Dictionary<string, string> WithoutLe(IReadOnlyDictionary<string, string> labels)
    {
        var copy = new Dictionary<string, string>(labels, StringComparer.Ordinal);
        copy.Remove("le");
        return copy;
    }

    private static MetricFamily Owner(string sampleName, Dictionary<string, MetricFamily> families)
    {
        if (families.TryGetValue(sampleName, out var family) && family.Type is not "histogram" and not "summary")
        {
            return family;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal)
                && families.TryGetValue(sampleName[..^suffix.Length], out var owner)
                && owner.Type is "histogram" or "summary"
                && (suffix != "_bucket" || owner.Type == "histogram"))
            {
                return owner;
            }
        }

        throw new FormatException($"sample '{sampleName}' has no '# TYPE' line before it");
    }

    private static void ReadComment(string line, Dictionary<string, MetricFamily> families)
    {
        var parts = line.Split(' ', 4);
        if (parts.Length < 3 || parts[1] is not ("HELP" or "TYPE"))
        {
            return; // a plain comment
        }

        var name = parts[2];
        CheckName(name);
        if (!families.TryGetValue(name, out var family))
        {
            family = new MetricFamily(name);
            families.Add(name, family);
        }

        if (parts[1] == "HELP")
        {
            family.Help = parts.Length > 3 ? parts[3] : string.Empty;
            return;
        }

        var type = parts.Length > 3 ? parts[3] : throw new FormatException("a TYPE line without a type");
        if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
        {
            throw new FormatException($"unknown type '{type}'");
        }

        if (family.Type is not null)
        {
            throw new FormatException($"a second TYPE line for '{name}'");
        }

        if (family.Samples.Count > 0)
        {
            throw new FormatException($"the TYPE of '{name}' comes after its samples");
        }

        family.Type = type;
    }

    private static Sample ReadSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' '))
        {
            i++;
        }

        var name = line[..i];
        CheckName(name);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                if (i >= line.Length)
                {
                    throw new FormatException("unclosed label set");
                }

                if (line[i] == '}')
                {
                    i++;
                    break;
                }

                var eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
                {
                    throw new FormatException("a label without =\"value\"");
                }

                var label = line[i..eq];
                CheckName(label);
                var value = new StringBuilder();
                i = eq + 2;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new FormatException("unclosed label value");
                    }

                    var c = line[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        var escaped = i < line.Length ? line[i++] : throw new FormatException("a dangling escape");
                        value.Append(escaped switch
                        {
                            'n' => '\n',
                            '\\' => '\\',
                            '"' => '"',
                            _ => throw new FormatException($"unknown escape '\\{escaped}'"),
                        });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                if (!labels.TryAdd(label, value.ToString()))
                {
                    throw new FormatException($"label '{label}' twice");
                }

                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
            }
        }

        var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2)
        {
            throw new FormatException("expected a value and an optional timestamp");
        }

        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            throw new FormatException($"timestamp '{rest[1]}' is not an integer");
        }

        return new Sample(name, labels, ParseValue(rest[0]));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw new FormatException($"'{text}' is not a number"),
    };

    private static void CheckName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] is '_' or ':'))
        {
            throw new FormatException($"'{name}' is not a metric or label name");
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or ':'))
            {
                throw new FormatException($"'{name}' is not a metric or label name");
            }
        }
    }

    internal sealed class MetricFamily(string name)
    {
        public string Name { get; } = name;

        public string? Type { get; set; }

        public string? Help { get; set; }

        public List<Sample> Samples { get; } = [];
    }

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>One histogram series: cumulative buckets by upper bound, the sum and the count.</summary>
    internal sealed class Histogram
    {
        public Histogram(List<(double UpperBound, double Count)> buckets, double sum, double count)
        {
            buckets.Sort((a, b) => a.UpperBound.CompareTo(b.UpperBound));
            for (var i = 1; i < buckets.Count; i++)
            {
                if (buckets[i].Count < buckets[i - 1].Count)
                {
                    throw new FormatException($"Buckets are not cumulative: le={buckets[i].UpperBound} holds {buckets[i].Count} < {buckets[i - 1].Count}.");
                }
            }

            if (!double.IsPositiveInfinity(buckets[^1].UpperBound) || buckets[^1].Count != count)
            {
                throw new FormatException($"The last bucket must be le=\"+Inf\" holding _count ({count}); it is le={buckets[^1].UpperBound} holding {buckets[^1].Count}.");
            }

            Buckets = buckets;
            Sum = sum;
            Count = count;
        }

        public IReadOnlyList<(double UpperBound, double Count)> Buckets { get; }

        public double Sum { get; }

        public double Count { get; }

        /// <summary>The quantile as Prometheus's <c>histogram_quantile</c> computes it: linear within the bucket that holds the rank.</summary>
        public double Quantile(double q)
        {
            if (Count == 0)
            {
                return double.NaN;
            }

            var rank = q * Count;
            var lower = 0.0;
            var below = 0.0;
            foreach (var (upper, cumulative) in Buckets)
            {
                if (cumulative >= rank)
                {
                    if (double.IsPositiveInfinity(upper))
                    {
                        return lower; // the highest finite bound, as Prometheus answers
                    }

                    var inBucket = cumulative - below;
                    return inBucket == 0 ? upper : lower + ((upper - lower) * (rank - below) / inBucket);
                }

                lower = upper;
                below = cumulative;
            }

            return lower;
        }
    }
}
