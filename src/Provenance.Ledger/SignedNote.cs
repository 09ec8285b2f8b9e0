using System.Buffers.Binary;
using System.Text;

namespace Provenance.Ledger;

/// <summary>
/// One signature line of a signed note: "— &lt;key name&gt; base64(key ID || signature)".
/// <paramref name="Signature"/> excludes the 4-byte key ID.
/// </summary>
public sealed record NoteSignature(string KeyName, uint KeyId, byte[] Signature)
{
    /// <summary>The em dash (U+2014) and space that open every signature line.</summary>
    public const string LinePrefix = "\u2014 ";

    /// <summary>The signature line, with its final newline.</summary>
    public string ToLine()
    {
        var bytes = new byte[4 + Signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, KeyId);
        Signature.CopyTo(bytes, 4);
        return $"{LinePrefix}{KeyName} {Convert.ToBase64String(bytes)}\n";
    }
}

/// <summary>
/// A c2sp.org/signed-note: text ending in a newline, a blank line, then signature lines. Parsing checks the
/// syntax only; <see cref="NoteVerifier"/> checks the signatures.
/// </summary>
public sealed record SignedNote(string Text, IReadOnlyList<NoteSignature> Signatures)
{
    /// <summary>Notes with more signatures are refused (the spec asks to accept at least 16; Go's note package stops at 100).</summary>
    public const int MaxSignatures = 100;

    public string Format()
    {
        RequireValidText(Text);
        var note = new StringBuilder(Text).Append('\n');
        foreach (var signature in Signatures)
        {
            if (!NoteText.IsValidKeyName(signature.KeyName))
            {
                throw new FormatException($"\"{signature.KeyName}\" is not a valid key name.");
            }
            note.Append(signature.ToLine());
        }
        return note.ToString();
    }

    public override string ToString() => Format();

    /// <summary>Parses a signed note; throws <see cref="FormatException"/> when it is malformed.</summary>
    public static SignedNote Parse(string note) =>
        TryParse(note, out var parsed, out var error) ? parsed : throw new FormatException(error);

    /// <summary>Parses UTF-8 note bytes; throws <see cref="FormatException"/> when they are not UTF-8 or the note is malformed.</summary>
    public static SignedNote Parse(ReadOnlySpan<byte> utf8Note)
    {
        string note;
        try
        {
            note = NoteText.StrictUtf8.GetString(utf8Note);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException("Malformed note: not UTF-8.", e);
        }
        return Parse(note);
    }

    public static bool TryParse(string note, out SignedNote parsed, out string error)
    {
        parsed = new SignedNote("", []);
        if (!NoteText.HasOnlyNoteCharacters(note))
        {
            error = "Malformed note: it holds a control character other than newline, or invalid UTF-16.";
            return false;
        }

        // The text is separated from the signatures by the last blank line.
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            error = "Malformed note: no blank line before the signatures.";
            return false;
        }
        var text = note[..(split + 1)];
        var block = note[(split + 2)..];
        if (block.Length == 0 || block[^1] != '\n')
        {
            error = "Malformed note: the signature block is empty or does not end with a newline.";
            return false;
        }

        var signatures = new List<NoteSignature>();
        foreach (var line in block[..^1].Split('\n'))
        {
            if (signatures.Count == MaxSignatures)
            {
                error = $"Malformed note: more than {MaxSignatures} signatures.";
                return false;
            }
            if (!TryParseSignatureLine(line, out var signature))
            {
                error = $"Malformed note: \"{line}\" is not a signature line.";
                return false;
            }
            signatures.Add(signature);
        }

        parsed = new SignedNote(text, signatures);
        error = "";
        return true;
    }

    internal static void RequireValidText(string text)
    {
        if (text.Length == 0 || text[^1] != '\n' || !NoteText.HasOnlyNoteCharacters(text))
        {
            throw new ArgumentException("Note text ends with a newline and holds no control character other than newline.", nameof(text));
        }
    }

    static bool TryParseSignatureLine(string line, out NoteSignature signature)
    {
        signature = new NoteSignature("", 0, []);
        if (!line.StartsWith(NoteSignature.LinePrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = line[NoteSignature.LinePrefix.Length..];
        var space = rest.IndexOf(' ');
        if (space < 0)
        {
            return false;
        }
        var name = rest[..space];
        if (!NoteText.IsValidKeyName(name) || !NoteText.TryDecodeBase64(rest[(space + 1)..], out var bytes) || bytes.Length < 5)
        {
            return false;
        }
        signature = new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(bytes), bytes[4..]);
        return true;
    }
}
