using System.Text.RegularExpressions;

namespace MLNetInference.Consumer.Tests.Internal;

/// <summary>
/// The code blocks of README.md's "Use it in your app" section, each between <c>&lt;!-- consumer:NAME --&gt;</c> and
/// <c>&lt;!-- /consumer:NAME --&gt;</c>, so that what the README shows is what the tests run.
/// </summary>
internal static partial class ReadmeSnippets
{
    /// <summary>Gets the code of the one fenced block between the markers named <paramref name="name"/>.</summary>
    public static string Get(string readmePath, string name)
    {
        var readme = File.ReadAllText(readmePath).ReplaceLineEndings("\n");
        var start = $"<!-- consumer:{name} -->";
        var end = $"<!-- /consumer:{name} -->";
        var from = readme.IndexOf(start, StringComparison.Ordinal);
        var to = from < 0 ? -1 : readme.IndexOf(end, from, StringComparison.Ordinal);
        Assert.IsTrue(from >= 0 && to > from, $"README.md has no '{start}' ... '{end}' section.");
        var section = readme[(from + start.Length)..to];
        var blocks = FencedBlock().Matches(section);
        Assert.HasCount(1, blocks, $"README.md's consumer:{name} section must hold exactly one fenced code block.");
        return blocks[0].Groups["code"].Value;
    }

    /// <summary>The package ids of the <c>dotnet add package ID</c> commands in a shell snippet, comments left out.</summary>
    public static IReadOnlyList<string> PackageIds(string shell)
    {
        var ids = new List<string>();
        foreach (var line in shell.Split('\n'))
        {
            var command = line.Split('#', 2)[0];
            var match = AddPackage().Match(command);
            if (match.Success)
            {
                ids.Add(match.Groups["id"].Value);
            }
        }

        return ids;
    }

    [GeneratedRegex(@"^```[a-z]*\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"^\s*dotnet add package (?<id>[A-Za-z0-9_.\-]+)")]
    private static partial Regex AddPackage();
}
