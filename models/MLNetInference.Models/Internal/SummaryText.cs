using System.Text;
using System.Xml.Linq;

namespace MLNetInference.Models.Internal;

/// <summary>Turns the <c>&lt;summary&gt;</c> elements of XML doc files into plain sentences.</summary>
internal static class SummaryText
{
    /// <summary>Reads every summary of one XML doc file, in document order, as plain text.</summary>
    /// <param name="path">The XML doc file.</param>
    /// <returns>The summaries, tags stripped and whitespace collapsed; empty ones are skipped.</returns>
    public static IEnumerable<string> ReadSummaries(string path)
    {
        var document = XDocument.Load(path);
        foreach (var summary in document.Descendants("summary"))
        {
            var builder = new StringBuilder();
            AppendText(summary, builder);
            var text = CollapseWhitespace(builder.ToString());
            if (text.Length > 0)
            {
                yield return text;
            }
        }
    }

    /// <summary>Gets the identifier a <c>cref</c> names: <c>T:Microsoft.ML.IDataView</c> gives <c>IDataView</c>.</summary>
    /// <param name="cref">The documentation comment ID.</param>
    /// <returns>The last identifier segment, without parameters or generic arity.</returns>
    public static string CrefName(string cref)
    {
        var name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        var parameters = name.IndexOf('(', StringComparison.Ordinal);
        if (parameters >= 0)
        {
            name = name[..parameters];
        }

        var braces = name.IndexOf('{', StringComparison.Ordinal);
        if (braces >= 0)
        {
            name = name[..braces];
        }

        var lastDot = name.LastIndexOf('.');
        if (lastDot >= 0 && lastDot < name.Length - 1)
        {
            name = name[(lastDot + 1)..];
        }

        var arity = name.IndexOf('`', StringComparison.Ordinal);
        if (arity >= 0)
        {
            name = name[..arity];
        }

        return name == "#ctor" ? "constructor" : name;
    }

    /// <summary>Replaces every run of whitespace with one space and trims the ends.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The collapsed text.</returns>
    public static string CollapseWhitespace(string text)
    {
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    private static void AppendText(XElement element, StringBuilder builder)
    {
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XText text:
                    builder.Append(text.Value);
                    break;
                case XElement child:
                    AppendElement(child, builder);
                    break;
            }
        }
    }

    private static void AppendElement(XElement element, StringBuilder builder)
    {
        if (!element.Nodes().Any())
        {
            var cref = (string?)element.Attribute("cref");
            var reference = cref is not null
                ? CrefName(cref)
                : (string?)element.Attribute("langword") ?? (string?)element.Attribute("name") ?? (string?)element.Attribute("href");
            if (!string.IsNullOrEmpty(reference))
            {
                builder.Append(reference);
            }

            return;
        }

        // Block elements (para, list items, code) end a phrase; keep words from running together.
        builder.Append(' ');
        AppendText(element, builder);
        builder.Append(' ');
    }
}
