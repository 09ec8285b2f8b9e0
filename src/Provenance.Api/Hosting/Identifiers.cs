namespace Provenance.Api.Hosting;

/// <summary>The one place identifiers come from: time-ordered UUIDv7 from the app's clock, so tests can pin them.</summary>
public sealed class Identifiers(TimeProvider time)
{
    public Guid NewId() => Guid.CreateVersion7(time.GetUtcNow());
}
