using System.Security.Cryptography;
using Npgsql;
using Provenance.Api.Documents;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Documents;

/// <summary>
/// An upload larger than <see cref="ContentSubmission.InMemoryBytes"/> is kept in a temporary file while it is read and hashed, and
/// streamed from that file into the content store in the transaction of its event (the suite's content limit is 1 MB, so the API
/// path cannot reach this size here; the bench's large-uploads scenario sends ten 20 MB uploads through HTTP).
/// </summary>
public sealed class Storing_large_content(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task Content_spilled_to_a_file_is_stored_byte_for_byte_under_its_digest()
    {
        var bytes = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(bytes);
        "%PDF-1.7\n"u8.CopyTo(bytes);
        using var upload = (await ContentSubmission.ReadAsync(new MemoryStream(bytes), 10 * 1024 * 1024, "application/pdf", "large.pdf", default))!;
        upload.InMemory.ShouldBeFalse("over the in-memory limit, the upload is in a temporary file");
        upload.Digest.ShouldBe("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));

        await using (var session = Store.LightweightSession(Tenants.Default))
        {
            new StoreContent(upload.Accepted(null)).Execute(session);
            await session.SaveChangesAsync();
        }

        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand($"select size, bytes from {Fixture.Schema}.content_blobs where digest = $1", connection);
        read.Parameters.Add(new NpgsqlParameter { Value = upload.Digest });
        await using var reader = await read.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        reader.GetInt64(0).ShouldBe(bytes.Length);
        ((byte[])reader.GetValue(1)).SequenceEqual(bytes).ShouldBeTrue();
    }
}
