using System.Text;
using Shouldly;

namespace Provenance.Tests;

/// <summary>A strict RFC 4180 reader for the tests: quoted fields may hold commas, doubled quotes and line breaks; every row ends with CRLF.</summary>
public static class Rfc4180
{
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString()); field.Clear();
                rows.Add([.. row]); row.Clear();
                i++;
            }
            else field.Append(c);
        }
        (field.Length + row.Count).ShouldBe(0, "every row ends with CRLF");
        return rows;
    }
}
