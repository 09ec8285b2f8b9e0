using System.Text;
using DiffPlex;
using DiffPlex.Chunkers;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Net.Http.Headers;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>One side of a diff: a revision, or the translation of one into <see cref="Language"/>.</summary>
public sealed record DiffSide(int Revision, string? Language, string MediaType, string ContentDigest, long Size);

/// <summary>A word-level piece of a changed line: <c>equal</c>, <c>removed</c> or <c>added</c>.</summary>
public sealed record WordChange(string Kind, string Text);

/// <summary>
/// A line of a hunk: <c>context</c>, <c>removed</c>, <c>added</c>, or <c>changed</c> (a removed line paired with the added
/// line that replaced it, with the word-level changes between them).
/// </summary>
public sealed record DiffLine(string Kind, int? OldLine, int? NewLine, string? OldText, string? NewText, IReadOnlyList<WordChange>? Words);

public sealed record DiffHunk(int OldStart, int OldCount, int NewStart, int NewCount, IReadOnlyList<DiffLine> Lines);

public sealed record DocumentDiff(
    Guid DocumentId, DiffSide From, DiffSide To, bool Binary, bool Identical, int LinesAdded, int LinesRemoved, IReadOnlyList<DiffHunk> Hunks,
    string? Note);

/// <summary>Line diffs with word-level detail, and their unified rendering (3 lines of context, as <c>diff -u</c>).</summary>
public static class TextDiff
{
    public const int Context = 3;
    private static readonly char[] WordSeparators = [' ', '\t', '.', ',', ';', ':', '!', '?', '(', ')', '"', '\'', '«', '»', '-', '/'];

    private enum Op { Equal, Delete, Insert }
    private readonly record struct Step(Op Op, int Old, int New);

    /// <summary>Lines with their terminators, so a missing final newline is a difference too.</summary>
    public static IReadOnlyList<string> Lines(string text) => new LineEndingsPreservingChunker().Chunk(text);

    public static IReadOnlyList<DiffHunk> Hunks(string oldText, string newText, int context = Context)
    {
        var result = Differ.Instance.CreateDiffs(oldText, newText, ignoreWhiteSpace: false, ignoreCase: false, new LineEndingsPreservingChunker());
        var a = result.PiecesOld;
        var b = result.PiecesNew;
        var steps = Steps(result, a.Count, b.Count);
        var hunks = new List<DiffHunk>();
        foreach (var (first, last) in Groups(steps, context))
        {
            var lines = new List<DiffLine>();
            var i = first;
            while (i <= last)
            {
                var step = steps[i];
                if (step.Op == Op.Equal)
                {
                    lines.Add(new DiffLine("context", step.Old + 1, step.New + 1, Strip(a[step.Old]), Strip(b[step.New]), null));
                    i++;
                    continue;
                }
                var deletes = new List<Step>();
                var inserts = new List<Step>();
                while (i <= last && steps[i].Op == Op.Delete) deletes.Add(steps[i++]);
                while (i <= last && steps[i].Op == Op.Insert) inserts.Add(steps[i++]);
                var paired = Math.Min(deletes.Count, inserts.Count);
                for (var k = 0; k < paired; k++)
                {
                    string before = Strip(a[deletes[k].Old]), after = Strip(b[inserts[k].New]);
                    lines.Add(new DiffLine("changed", deletes[k].Old + 1, inserts[k].New + 1, before, after, Words(before, after)));
                }
                lines.AddRange(deletes.Skip(paired).Select(d => new DiffLine("removed", d.Old + 1, null, Strip(a[d.Old]), null, null)));
                lines.AddRange(inserts.Skip(paired).Select(n => new DiffLine("added", null, n.New + 1, null, Strip(b[n.New]), null)));
            }
            var (oldStart, oldCount, newStart, newCount) = Range(steps, first, last);
            hunks.Add(new DiffHunk(oldStart, oldCount, newStart, newCount, lines));
        }
        return hunks;
    }

    /// <summary>Word-level pieces turning <paramref name="before"/> into <paramref name="after"/>; adjacent pieces of a kind are joined.</summary>
    public static IReadOnlyList<WordChange> Words(string before, string after)
    {
        var diff = Differ.Instance.CreateWordDiffs(before, after, ignoreWhitespace: false, WordSeparators);
        var pieces = new List<WordChange>();
        void Add(string kind, string text)
        {
            if (text.Length == 0) return;
            if (pieces.Count > 0 && pieces[^1].Kind == kind) pieces[^1] = pieces[^1] with { Text = pieces[^1].Text + text };
            else pieces.Add(new WordChange(kind, text));
        }
        var ia = 0;
        foreach (var block in diff.DiffBlocks)
        {
            while (ia < block.DeleteStartA) Add("equal", diff.PiecesOld[ia++]);
            for (var k = 0; k < block.DeleteCountA; k++) Add("removed", diff.PiecesOld[block.DeleteStartA + k]);
            for (var k = 0; k < block.InsertCountB; k++) Add("added", diff.PiecesNew[block.InsertStartB + k]);
            ia = block.DeleteStartA + block.DeleteCountA;
        }
        while (ia < diff.PiecesOld.Count) Add("equal", diff.PiecesOld[ia++]);
        return pieces;
    }

    /// <summary>The unified format of <c>diff -u</c>, with "\ No newline at end of file" where a side lacks one.</summary>
    public static string Unified(string oldText, string newText, string oldLabel, string newLabel, int context = Context)
    {
        var result = Differ.Instance.CreateDiffs(oldText, newText, ignoreWhiteSpace: false, ignoreCase: false, new LineEndingsPreservingChunker());
        var a = result.PiecesOld;
        var b = result.PiecesNew;
        var steps = Steps(result, a.Count, b.Count);
        var output = new StringBuilder();
        var groups = Groups(steps, context).ToList();
        if (groups.Count == 0) return "";
        output.Append("--- ").Append(oldLabel).Append('\n');
        output.Append("+++ ").Append(newLabel).Append('\n');
        foreach (var (first, last) in groups)
        {
            var (oldStart, oldCount, newStart, newCount) = Range(steps, first, last);
            output.Append("@@ -").Append(RangeText(oldStart, oldCount)).Append(" +").Append(RangeText(newStart, newCount)).Append(" @@\n");
            for (var i = first; i <= last; i++)
            {
                var (prefix, line) = steps[i].Op switch
                {
                    Op.Equal => (' ', a[steps[i].Old]),
                    Op.Delete => ('-', a[steps[i].Old]),
                    _ => ('+', b[steps[i].New]),
                };
                output.Append(prefix).Append(Strip(line)).Append('\n');
                if (!line.EndsWith('\n')) output.Append("\\ No newline at end of file\n");
            }
        }
        return output.ToString();
    }

    private static string RangeText(int start, int count) => count == 1 ? $"{start}" : $"{start},{count}";

    private static string Strip(string line) => line.EndsWith('\n') ? line[..^1] : line;

    private static List<Step> Steps(DiffPlex.Model.DiffResult result, int oldCount, int newCount)
    {
        var steps = new List<Step>();
        int ia = 0, ib = 0;
        foreach (var block in result.DiffBlocks)
        {
            while (ia < block.DeleteStartA) steps.Add(new Step(Op.Equal, ia++, ib++));
            for (var k = 0; k < block.DeleteCountA; k++) steps.Add(new Step(Op.Delete, ia++, ib));
            for (var k = 0; k < block.InsertCountB; k++) steps.Add(new Step(Op.Insert, ia, ib++));
        }
        while (ia < oldCount && ib < newCount) steps.Add(new Step(Op.Equal, ia++, ib++));
        return steps;
    }

    /// <summary>Ranges of steps forming hunks: each change with its context, merged when the contexts touch.</summary>
    private static IEnumerable<(int First, int Last)> Groups(List<Step> steps, int context)
    {
        var changes = steps.Select((s, i) => (s, i)).Where(x => x.s.Op != Op.Equal).Select(x => x.i).ToList();
        if (changes.Count == 0) yield break;
        int start = changes[0], end = changes[0];
        foreach (var c in changes.Skip(1))
        {
            if (c - end - 1 <= 2 * context) { end = c; continue; }
            yield return (Math.Max(0, start - context), Math.Min(steps.Count - 1, end + context));
            start = end = c;
        }
        yield return (Math.Max(0, start - context), Math.Min(steps.Count - 1, end + context));
    }

    /// <summary>1-based starts as <c>diff -u</c> prints them (an empty range starts at the line before it).</summary>
    private static (int OldStart, int OldCount, int NewStart, int NewCount) Range(List<Step> steps, int first, int last)
    {
        var slice = steps.GetRange(first, last - first + 1);
        var oldCount = slice.Count(s => s.Op != Op.Insert);
        var newCount = slice.Count(s => s.Op != Op.Delete);
        var oldStart = slice[0].Old + (oldCount == 0 ? 0 : 1);
        var newStart = slice[0].New + (newCount == 0 ? 0 : 1);
        return (oldStart, oldCount, newStart, newCount);
    }
}

public static class DiffEndpoint
{
    public const string UnifiedDiff = "text/x-diff";

    /// <summary>
    /// The difference between two revisions (or, with <c>language</c>, between the latest translations of them):
    /// structured JSON by default, unified diff when <c>Accept</c> prefers <c>text/x-diff</c>.
    /// </summary>
    [WolverineGet("/api/documents/{id}/diff", OperationId = "compareRevisions"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("Compare two revisions (JSON hunks, or a unified diff)")]
    [ProducesResponseType<DocumentDiff>(200, "application/json", DiffEndpoint.UnifiedDiff), ResponseHeaders(200, "Vary"), ProblemResponses(404, 422)]
    public static async Task<IResult> Get(Guid id, string? from, string? to, string? language, HttpContext context, IQuerySession session, DocumentRecords records,
        ContentStore contents)
    {
        var errors = new FieldErrors();
        var fromRevision = RevisionParameter("from", from, errors);
        var toRevision = RevisionParameter("to", to, errors);
        var tag = Languages.ParseOptional(language, "language", errors);
        if (errors.Any) return Problems.Invalid(errors);

        var ct = context.RequestAborted;
        var view = await session.LoadAsync<DocumentView>(id, ct);
        if (view is null) return Problems.DocumentNotFound(id);
        if (tag is not null && Languages.Matches(tag, view.Language)) tag = null;

        var (left, leftProblem) = await SideAsync(records, view, fromRevision!.Value, tag, ct);
        if (leftProblem is not null) return leftProblem;
        var (right, rightProblem) = await SideAsync(records, view, toRevision!.Value, tag, ct);
        if (rightProblem is not null) return rightProblem;

        var diff = await ComputeAsync(id, left!, right!, contents, ct);
        var unified = Negotiation.Choose(context.Request, "application/json", UnifiedDiff) == UnifiedDiff;
        context.Response.Headers.Vary = HeaderNames.Accept;
        if (!unified) return Results.Ok(diff.Diff);
        var oldLabel = Label(left!);
        var newLabel = Label(right!);
        var text = diff.Diff.Binary
            ? diff.Diff.Identical ? "" : $"Binary files {oldLabel} and {newLabel} differ\n"
            : TextDiff.Unified(diff.OldText!, diff.NewText!, oldLabel, newLabel);
        return Results.Text(text, UnifiedDiff + "; charset=utf-8", Encoding.UTF8);
    }

    private static string Label(DiffSide side)
        => $"revision {side.Revision}{(side.Language is null ? "" : $" ({side.Language})")}\t{side.ContentDigest}";

    private static int? RevisionParameter(string name, string? value, FieldErrors errors)
    {
        if (value is null) errors.Add(name, $"'{name}' (a revision number) is required.");
        else if (!int.TryParse(value, System.Globalization.NumberStyles.None, null, out var n) || n < 1) errors.Add(name, $"'{name}' must be a revision number (1 or more).");
        else return n;
        return null;
    }

    /// <summary>A revision, or its latest translation into <paramref name="language"/>; else a 404 problem.</summary>
    public static async Task<(DiffSide?, IResult?)> SideAsync(DocumentRecords records, DocumentView view, int revision, string? language,
        CancellationToken ct)
    {
        if (revision > view.Revision)
        {
            return (null, Problems.Result(Problems.NotFound, $"Revision {revision} does not exist; the document has revisions 1 to {view.Revision}."));
        }
        if (language is null)
        {
            var record = await records.RevisionAsync(view.Id, revision, ct);
            return record is null
                ? (null, Problems.Result(Problems.NotFound, $"Revision {revision} is not recorded."))
                : (new DiffSide(revision, null, record.MediaType, record.ContentDigest, record.Size), null);
        }
        var translation = await ContentEndpoint.LatestTranslationAsync(records, view.Id, language, revision, exact: false, ct);
        return translation is null
            ? (null, Problems.Result(Problems.NotFound, $"There is no translation into '{language}' of revision {revision}."))
            : (new DiffSide(revision, translation.Language, translation.MediaType, translation.ContentDigest, translation.Size), null);
    }

    public sealed record Computed(DocumentDiff Diff, string? OldText, string? NewText);

    public static async Task<Computed> ComputeAsync(Guid id, DiffSide from, DiffSide to, ContentStore contents, CancellationToken ct)
    {
        var identical = from.ContentDigest == to.ContentDigest;
        if (!MediaTypes.IsText(from.MediaType) || !MediaTypes.IsText(to.MediaType))
        {
            return new Computed(new DocumentDiff(id, from, to, Binary: true, identical, 0, 0, [],
                "Binary content is compared by digest and size only."), null, null);
        }
        // Read from the store and hashed: a diff must not compare bytes that no longer match their digests.
        var oldText = Encoding.UTF8.GetString(await contents.ReadAsync(from.ContentDigest, ct) ?? []);
        var newText = identical ? oldText : Encoding.UTF8.GetString(await contents.ReadAsync(to.ContentDigest, ct) ?? []);
        var hunks = TextDiff.Hunks(oldText, newText);
        var lines = hunks.SelectMany(h => h.Lines).ToList();
        var added = lines.Count(l => l.Kind is "added" or "changed");
        var removed = lines.Count(l => l.Kind is "removed" or "changed");
        return new Computed(new DocumentDiff(id, from, to, Binary: false, identical, added, removed, hunks, null), oldText, newText);
    }
}

/// <summary>Server-driven content negotiation over a few offered media types (RFC 9110 §12.5.1).</summary>
public static class Negotiation
{
    /// <summary>The offered type the client ranks highest; the first offered wins ties and an absent <c>Accept</c>.</summary>
    public static string Choose(HttpRequest request, params string[] offered)
    {
        var accept = request.Headers.Accept.ToString();
        if (accept.Length == 0 || !MediaTypeHeaderValue.TryParseList(accept.Split(','), out var ranges)) return offered[0];
        var best = offered[0];
        var bestQuality = -1.0;
        foreach (var type in offered)
        {
            var quality = Quality(ranges, type);
            if (quality > bestQuality) (best, bestQuality) = (type, quality);
        }
        return best;
    }

    private static double Quality(IList<MediaTypeHeaderValue> ranges, string type)
    {
        var parsed = MediaTypeHeaderValue.Parse(type);
        MediaTypeHeaderValue? match = null;
        foreach (var range in ranges)
        {
            if (!parsed.IsSubsetOf(range)) continue;
            if (match is null || Specificity(range) > Specificity(match)) match = range;
        }
        return match is null ? 0 : match.Quality ?? 1.0;
    }

    private static int Specificity(MediaTypeHeaderValue range) => range.MatchesAllTypes ? 0 : range.MatchesAllSubTypes ? 1 : 2;
}
