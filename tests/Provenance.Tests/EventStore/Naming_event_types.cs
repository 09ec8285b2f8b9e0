using JasperFx.Events;
using Microsoft.Extensions.DependencyInjection;
using Provenance.Api.Documents;
using Provenance.Api.EventStore;
using Provenance.Api.Ledger;
using Shouldly;

namespace Provenance.Tests.EventStore;

public sealed class Naming_event_types(AppFixture fixture) : IntegrationContext(fixture)
{
    static readonly Type[] DocumentEvents =
    [
        typeof(DocumentIngested), typeof(DocumentEdited), typeof(DocumentTranslated), typeof(DocumentVerified), typeof(DocumentRedacted),
        typeof(DocumentWithdrawn), typeof(DocumentReinstated), typeof(DocumentHeld), typeof(DocumentHoldReleased), typeof(FixityChecked),
    ];

    [Fact]
    public void Every_registered_event_type_has_the_stored_name_of_martens_mapping_and_back()
    {
        var names = Host.Services.GetRequiredService<EventTypeNames>();
        // Marten may map more types later (its tombstones, on a failed append); the names are taken once, at first use.
        var mapped = Store.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType, t => t.EventTypeName);
        foreach (var type in DocumentEvents)
        {
            mapped.ShouldContainKey(type, $"{type.Name} is not registered in EventStoreSetup");
            names.Of(type).ShouldBe(mapped[type]);
            names.TypeOf(mapped[type]).ShouldBe(type);
        }
        foreach (var name in names.All) mapped.Values.ShouldContain(name);
    }

    [Fact]
    public void A_name_marten_does_not_map_has_no_record_and_an_unregistered_record_has_no_name()
    {
        var names = Host.Services.GetRequiredService<EventTypeNames>();
        names.TypeOf("tombstone_of_nothing").ShouldBeNull();
        Should.Throw<InvalidOperationException>(() => names.Of<Naming_event_types>());
    }
}
