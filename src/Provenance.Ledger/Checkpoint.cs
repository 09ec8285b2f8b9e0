using System.Globalization;
using System.Text;

namespace Provenance.Ledger;

/// <summary>
/// A c2sp.org/tlog-checkpoint: the log's origin, tree size and RFC 6962 root hash, plus optional
/// extension lines (not recommended by the spec, since monitors cannot audit them).
/// </summary>
public sealed record Checkpoint(string Origin, long TreeSize, byte[] RootHash)
{
    public IReadOnlyList<string> Extensions { get; init; } = [];

    /// <summary>"&lt;origin&gt;\n&lt;size&gt;\n&lt;base64 root&gt;\n" then each extension line: the note text that is signed.</summary>
    public string ToNoteBody()
    {
        if (Origin.Length == 0 || Origin.Contains('\n') || !NoteText.HasOnlyNoteCharacters(Origin))
        {
            throw new InvalidOperationException("A checkpoint origin is one non-empty line without control characters.");
        }
        if (TreeSize < 0)
        {
            throw new InvalidOperationException("A checkpoint tree size is not negative.");
        }
        if (RootHash.Length != MerkleHash.Size)
        {
            throw new InvalidOperationException($"A checkpoint root hash has {MerkleHash.Size} bytes.");
        }
        if (Extensions.Any(e => e.Length == 0 || e.Contains('\n') || !NoteText.HasOnlyNoteCharacters(e)))
        {
            throw new InvalidOperationException("Checkpoint extension lines are non-empty lines without control characters.");
        }

        var body = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(TreeSize.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash)).Append('\n');
        foreach (var extension in Extensions)
        {
            body.Append(extension).Append('\n');
        }
        return body.ToString();
    }

    /// <summary>Parses checkpoint note text; throws <see cref="FormatException"/> when it is malformed.</summary>
    public static Checkpoint ParseNoteBody(string text)
    {
        if (text.Length == 0 || text[^1] != '\n' || !NoteText.HasOnlyNoteCharacters(text))
        {
            throw new FormatException("Malformed checkpoint: the text ends with a newline and holds no control characters.");
        }
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3 || lines.Any(l => l.Length == 0))
        {
            throw new FormatException("Malformed checkpoint: at least three lines (origin, size, root hash), none empty.");
        }
        if (!IsCanonicalDecimal(lines[1]) || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new FormatException("Malformed checkpoint: the tree size is ASCII decimal without leading zeroes.");
        }
        if (!NoteText.TryDecodeBase64(lines[2], out var root) || root.Length != MerkleHash.Size)
        {
            throw new FormatException($"Malformed checkpoint: the root hash is base64 of {MerkleHash.Size} bytes.");
        }
        return new Checkpoint(lines[0], size, root) { Extensions = lines[3..] };
    }

    /// <summary>
    /// Verifies a signed checkpoint against the log's key and parses it. The origin must equal
    /// <paramref name="expectedOrigin"/>, by default the key name (the spec asks logs to name their key after the origin).
    /// </summary>
    public static CheckpointVerification Verify(string signedNote, NoteVerifier logKey, string? expectedOrigin = null)
    {
        var note = logKey.VerifyNote(signedNote);
        if (!note.IsValid)
        {
            return new CheckpointVerification(false, note.Reason, null);
        }
        Checkpoint checkpoint;
        try
        {
            checkpoint = ParseNoteBody(note.Text!);
        }
        catch (FormatException e)
        {
            return new CheckpointVerification(false, e.Message, null);
        }
        var origin = expectedOrigin ?? logKey.Name;
        return checkpoint.Origin == origin
            ? new CheckpointVerification(true, null, checkpoint)
            : new CheckpointVerification(false, $"The checkpoint is for origin \"{checkpoint.Origin}\", not \"{origin}\".", null);
    }

    static bool IsCanonicalDecimal(string s) =>
        s.Length > 0 && s.All(char.IsAsciiDigit) && (s == "0" || s[0] != '0');
}

/// <summary>The outcome of <see cref="Checkpoint.Verify"/>: the checkpoint only when its signature verified.</summary>
public sealed record CheckpointVerification(bool IsValid, string? Reason, Checkpoint? Checkpoint);
