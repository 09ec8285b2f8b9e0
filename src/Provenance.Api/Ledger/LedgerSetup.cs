using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;

namespace Provenance.Api.Ledger;

/// <summary>Registers the tamper-evidence layer: checkpoints, proofs, verification and fixity (its tables and the Merkle subscription: EventStoreSetup).</summary>
public static class LedgerSetup
{
    public static IServiceCollection AddProvenanceLedger(this IServiceCollection services, bool withLedger = true)
    {
        services.AddSingleton<IValidateOptions<ProvenanceOptions>, LedgerOptionsValidation>();
        services.AddSingleton(sp => new LedgerDatabase(sp.GetRequiredService<Tenancy.Archives>(), sp.GetRequiredService<IOptions<ProvenanceOptions>>().Value.Schema,
            sp.GetRequiredService<EventStore.StoredEvents>()));
        services.AddSingleton<LedgerKeyring>();
        services.AddSingleton(sp => new DocumentMapStore(sp.GetRequiredService<LedgerDatabase>()));
        services.AddSingleton<CheckpointWriter>();
        services.AddSingleton<DocumentProofs>();
        services.AddSingleton<LedgerVerifier>();
        services.AddSingleton<FixityChecker>();
        if (withLedger) services.AddHostedService<AutomaticCheckpoints>();
        services.AddSingleton<Witnesses>();
        services.AddSingleton<TimestampAuthorities>();
        services.AddHttpClient(CheckpointWitnessing.ClientName);
        services.AddHttpClient(CheckpointTimestamping.ClientName);
        services.AddHostedService<CheckpointWitnessing>();
        services.AddHostedService<CheckpointTimestamping>();
        services.AddHealthChecks().AddCheck<WitnessQuorumCheck>("witnesses", tags: ["ready"]);
        services.AddHostedService<ScheduledFixity>();
        services.AddHealthChecks().AddCheck<FixityHealthCheck>("fixity", tags: ["ready"]);
        services.AddExceptionHandler<FixityFailureHandler>();
        services.AddExceptionHandler<LedgerMismatchHandler>();
        return services;
    }
}

/// <summary>Start-up validation of <c>Provenance:Ledger</c>, each problem in its own message.</summary>
public sealed class LedgerOptionsValidation : IValidateOptions<ProvenanceOptions>
{
    public ValidateOptionsResult Validate(string? name, ProvenanceOptions options)
    {
        var problems = options.Ledger.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
