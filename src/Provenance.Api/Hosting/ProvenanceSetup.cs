using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Feed;
using Provenance.Api.Health;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Provenance.Api.Seeds;
using Provenance.Api.Web;
using Scalar.AspNetCore;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;
using Weasel.Core;
using Provenance.Api.EventStore;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Hosting;

public static class ProvenanceSetup
{
    /// <param name="withLedger">
    /// False leaves out the ledger's work on the write path (the Merkle subscription: chain, tree, tiles; automatic checkpoints: the
    /// document map) so a benchmark can measure the same appends without it. Only bench/ passes false; the API always has its ledger.
    /// </param>
    public static WebApplicationBuilder AddProvenance(this WebApplicationBuilder builder, bool withLedger = true)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        // Bound and validated once: everything resolved from the container reads IOptions<ProvenanceOptions>. The snapshot below only
        // decides what is registered (daemon mode, the request size limit), before there is a container to ask.
        services.AddOptions<ProvenanceOptions>()
            .Bind(configuration.GetSection(ProvenanceOptions.Section))
            .PostConfigure(o => ApplyFallbacks(o, configuration))
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString),
                "No PostgreSQL connection string: set Provenance__ConnectionString (or ConnectionStrings__Provenance). ops/run.sh sets it for you.")
            .Validate(o => o.AdminKey is null || o.AdminKey.Length >= 16, "PROVENANCE_ADMIN_KEY must be at least 16 characters.")
            .Validate(o => o.SystemKey is null || o.SystemKey.Length >= 32, "PROVENANCE_SYSTEM_KEY must be at least 32 characters.")
            .Validate(o => o.SystemKey is null || o.SystemKey != o.AdminKey, "PROVENANCE_SYSTEM_KEY must not be PROVENANCE_ADMIN_KEY.")
            .ValidateOnStart();

        services.AddSingleton<IValidateOptions<ProvenanceOptions>, ClusterOptionsValidation>();
        services.AddSingleton<IValidateOptions<ProvenanceOptions>, TenancyOptionsValidation>();

        var settings = new ProvenanceOptions();
        configuration.GetSection(ProvenanceOptions.Section).Bind(settings);
        ApplyFallbacks(settings, configuration);

        services.TryAddTimeProvider();
        services.AddSingleton<Identifiers>();
        // Lazy: the store's own configuration (the Merkle subscription) holds the names before the store exists.
        services.AddSingleton(sp => new EventStore.EventTypeNames(sp.GetRequiredService<IDocumentStore>));
        services.AddSingleton(sp => new Archives(sp.GetRequiredService<IDocumentStore>, sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<ProvenanceOptions>>(), sp.GetRequiredService<Microsoft.Extensions.Caching.Memory.IMemoryCache>()));
        services.AddSingleton(sp => new EventStore.StoredEvents(sp.GetRequiredService<Archives>(), Options(sp).Schema,
            sp.GetRequiredService<EventStore.EventTypeNames>()));
        services.AddSingleton<DocumentRecords>();
        services.AddSingleton(sp => BuildDataSource(Options(sp).ConnectionString ?? ""));
        services.AddSingleton(sp => new ContentStore(sp.GetRequiredService<Archives>(), Options(sp).Schema));
        services.AddMemoryCache();
        services.AddHttpContextAccessor();

        // Solo: Marten's daemon runs every async projection and subscription in this process. Distributed: no Marten daemon;
        // Wolverine elects a leader among the nodes sharing the database, and the leader assigns each projection/subscription
        // agent (audit log, Merkle ledger, webhook fan-out) to exactly one live node. Marten's own HotCold mode would need the
        // patched DistributedLock package (see ops/nuget-standins/README.md), so it is not offered.
        var distributed = settings.Daemon == DaemonHosting.Distributed;
        // The daemon's wake-up, a singleton so that the host disposes it (which stops its LISTEN loop).
        services.AddSingleton(sp => new BatchingWakeup(Options(sp).DaemonBatchWindow, listen: (wakeup, ct) => BatchingWakeup.ListenEverywhereAsync(
            sp.GetRequiredService<NpgsqlDataSource>(),
            async token => (await sp.GetRequiredService<Archives>().AllAsync(token)).Select(a => (a.Id, a.DataSource)).ToList(),
            Archives.CacheFor, sp.GetRequiredService<ILoggerFactory>().CreateLogger<BatchingWakeup>(), wakeup, ct)));
        // Database per tenant (issue #20): Marten's pools come from ConfigureMarten's TenantDataSources, not from the container; sessions
        // without a tenant are the default tenant's.
        var marten = services.AddMarten(sp => ConfigureMarten(sp, withLedger))
            .BuildSessionsWith<DefaultTenantSessions>()
            .IntegrateWithWolverine(w => w.UseWolverineManagedEventSubscriptionDistribution = distributed);
        if (!distributed)
        {
            marten.AddAsyncDaemon(DaemonMode.Solo);
        }

        services.UsePreGeneratedCode();

        builder.Host.UseWolverine(opts =>
        {
            opts.Policies.AutoApplyTransactions();
            // The pool does not reset connections (BuildDataSource): no session-level lock may outlive its transaction.
            opts.Durability.UseTransactionScopedDurabilityPassLock = true;
            opts.ApplicationAssembly = typeof(ProvenanceSetup).Assembly;
            if (distributed)
            {
                opts.Durability.HealthCheckPollingTime = settings.Cluster.HeartbeatInterval;
                opts.Durability.StaleNodeTimeout = settings.Cluster.StaleNodeTimeout;
                opts.Durability.CheckAssignmentPeriod = TimeSpan.FromTicks(Math.Min(settings.Cluster.StaleNodeTimeout.Ticks / 2, TimeSpan.FromSeconds(30).Ticks));
            }
        });
        services.AddWolverineHttp();

        services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            // Our own problems already carry their stable type; only framework-made ones (404 route, 405, 500) get one here.
            if (ctx.ProblemDetails.Type?.StartsWith(Problems.TypePrefix, StringComparison.Ordinal) == true) return;
            if (ctx.ProblemDetails.Status == 404 && ctx.ProblemDetails.Detail is null) ctx.ProblemDetails.Detail = NotFoundDetail(ctx.HttpContext);
            ctx.ProblemDetails.Type = ctx.ProblemDetails.Status switch
            {
                404 => Problems.NotFound.Type,
                405 => Problems.TypePrefix + "method-not-allowed",
                413 => Problems.ContentTooLarge.Type,
                >= 500 => Problems.TypePrefix + "internal",
                _ => ctx.ProblemDetails.Type,
            };
        });
        services.AddExceptionHandler<CommitFailures>();
        services.AddProvenanceAuthentication();
        // [Authorize] without roles means "a key of the request's archive": the system key (no archive) is refused there too.
        services.AddAuthorization(o => o.DefaultPolicy = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder()
            .RequireAuthenticatedUser().RequireClaim(ApiKeyAuthentication.TenantClaim).Build());
        services.AddSingleton<ArchiveDirectory>();
        services.AddOpenApi(Contract.OpenApiContract.Configure);
        services.AddProvenanceHealthChecks();
        services.AddProvenanceLedger(withLedger);
        services.AddScoped<SeedLoader>();
        services.AddSingleton<Reports.ProvenanceReports>();
        services.AddSingleton<Reports.CollectionReports>();
        services.AddSingleton<Packages.DocumentPackages>();
        services.AddProvenanceFeed(configuration);
        services.AddHostedService<StartupTasks>();

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = RequestBodies.JsonLimit(settings) + 1024 * 1024);
        return builder;
    }

    /// <summary>
    /// Code generation (issue #13): Wolverine's handler and HTTP endpoint code is generated ahead of time by <c>ops/codegen.sh</c>
    /// (<c>codegen write</c>) into <c>Internal/Generated</c> and compiled into this assembly; every environment loads it from there
    /// (<see cref="TypeLoadMode.Static"/>), so no Roslyn is referenced or loaded at run time. A missing or stale type fails at start
    /// (or, for a changed signature, at build); <c>ops/test.sh</c> checks first that the checked-in code is what codegen writes now.
    /// The application assembly is pinned to this one: hosts built from another entry assembly (Alba, the web tests, the bench)
    /// find the same pre-built types.
    /// </summary>
    private static void UsePreGeneratedCode(this IServiceCollection services) => services.CritterStackDefaults(x =>
    {
        x.ApplicationAssembly = typeof(ProvenanceSetup).Assembly;
        x.Development.GeneratedCodeMode = TypeLoadMode.Static;
        x.Production.GeneratedCodeMode = TypeLoadMode.Static;
        x.Development.SourceCodeWritingEnabled = false;
        x.Production.SourceCodeWritingEnabled = false;
    });

    /// <summary>
    /// The one pool every part of the API shares (Marten, Wolverine's durability, the ledger, the feed). Unless the connection string
    /// says otherwise: no reset when a connection goes back to the pool and automatic preparation of statements used twice. Npgsql
    /// otherwise sends <c>DISCARD ALL</c> on every checkout, which drops every prepared statement and cached PL/pgSQL plan, so each
    /// request re-parses and re-plans Marten's append function (measured: 3 resets and ~1 ms of PostgreSQL CPU per edit; see
    /// bench/README.md). Nothing here leaves session state behind on a pooled connection: transactions are always closed, Marten's
    /// and Weasel's migration locks are transaction-scoped, Wolverine's leadership lock lives on a dedicated connection, and its
    /// durability-pass lock is made transaction-scoped below (a test checks that no idle pooled connection holds an advisory lock).
    /// </summary>
    public static NpgsqlDataSource BuildDataSource(string connectionString) => BuildDataSourceBuilder(connectionString).Build();

    /// <summary>The builder of <see cref="BuildDataSource"/>: Marten builds every other tenant database's pool with it (<see cref="TenantDataSources"/>).</summary>
    public static NpgsqlDataSourceBuilder BuildDataSourceBuilder(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // The keys as written (Npgsql's own builder answers ContainsKey for every keyword it knows, set or not).
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Given(params string[] keys) => keys.Any(k => given.ContainsKey(k));
        if (!Given("No Reset On Close", "NoResetOnClose")) builder.ConnectionStringBuilder.NoResetOnClose = true;
        if (!Given("Max Auto Prepare", "MaxAutoPrepare")) builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        if (!Given("Auto Prepare Min Usages", "AutoPrepareMinUsages")) builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        return builder;
    }

    /// <summary>Why a framework-made 404 is one: an id in the path that is not a UUID (the endpoint never ran), or no such path.</summary>
    private static string NotFoundDetail(HttpContext http)
    {
        foreach (var (name, value) in http.Request.RouteValues)
        {
            if (!name.EndsWith("id", StringComparison.OrdinalIgnoreCase) || value is not string text || Guid.TryParse(text, out _)) continue;
            var shown = text.Length > 40 ? text[..40] + "…" : text;
            return $"'{new string(shown.Select(c => char.IsControl(c) ? '\uFFFD' : c).ToArray())}' in the path is not an id: ids are UUIDs "
                + "such as 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.";
        }
        return http.GetEndpoint() is null ? $"Nothing is served at {http.Request.Path.Value?.Length switch { > 200 => "this path", _ => $"'{http.Request.Path}'" }}." : "The resource does not exist.";
    }

    public static void Configure(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
    }

    static ProvenanceOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<ProvenanceOptions>>().Value;

    /// <summary>Where the connection string and admin key may also come from: the conventional names outside the section.</summary>
    static void ApplyFallbacks(ProvenanceOptions o, IConfiguration configuration)
    {
        o.ConnectionString ??= configuration.GetConnectionString("Provenance") ?? configuration["PROVENANCE_CONNECTION_STRING"];
        o.AdminKey ??= configuration["PROVENANCE_ADMIN_KEY"];
        o.SystemKey ??= configuration["PROVENANCE_SYSTEM_KEY"];
    }

    /// <summary>The store's general settings; what it holds (event types, projections, subscriptions, tables): <see cref="EventStoreSetup"/>.</summary>
    private static StoreOptions ConfigureMarten(IServiceProvider sp, bool withLedger)
    {
        var settings = Options(sp);
        var opts = new StoreOptions();
        opts.DatabaseSchemaName = settings.Schema;
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;

        // Database per tenant, tenants in Marten's master table (issue #20). The table lives in the default tenant's database and the
        // API's schema; the default tenant is the configured database itself, registered (again) at every start, so an installation
        // from before tenancy upgrades in place. Marten never creates a tenant's database: the tenant endpoints will (step 2).
        var pool = sp.GetRequiredService<NpgsqlDataSource>();
        var connectionString = settings.ConnectionString ?? "";
        opts.DataSourceFactory(new TenantDataSources(pool, connectionString));
        opts.MultiTenantedDatabasesWithMasterDatabaseTable(tenancy =>
        {
            tenancy.DataSource = pool;
            tenancy.SchemaName = settings.Schema;
            tenancy.RegisterDatabase(Tenants.Default, connectionString);
            // Else Marten adds "Application Name=<entry assembly>" to every tenant's connection string, and the default tenant's would no
            // longer be the configured one that TenantDataSources answers with the container's pool.
            tenancy.ApplicationName = "";
        });
        opts.TenantIdStyle = JasperFx.MultiTenancy.TenantIdStyle.ForceLowerCase;
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        opts.Events.StreamIdentity = StreamIdentity.AsGuid;
        // Quick appends: versions and timestamps are assigned before commit, sequences by PostgreSQL in the append itself (no round
        // trip to reserve them). The one inline projection, the view, needs no sequence; whatever does (history, revisions, the
        // ledger, the feed) reads it from mt_events. Despite its name, this mode takes the timestamps from the TimeProvider
        // below (JasperFx's own summary says so; plain Quick uses the database's now()): the response the handler builds in
        // memory then carries the very timestamps that are stored.
        opts.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
        opts.Events.TimeProvider = sp.GetRequiredService<TimeProvider>();
        opts.Events.MetadataConfig.CorrelationIdEnabled = true;
        opts.Events.MetadataConfig.CausationIdEnabled = true;
        opts.Events.MetadataConfig.HeadersEnabled = true;
        opts.Events.EnableEventTypeIndex = true;

        // Aggregates are only ever changed by the projection, so FetchForWriting/FetchLatest may reuse the identity map.
        opts.Projections.UseIdentityMapForAggregates = true;
        // Feed readers and webhooks wait on the daemon's high-water mark. An append NOTIFYs the daemon (LISTEN/NOTIFY, see
        // AppendNotifier), so it need not poll often to be prompt: idle, it looks every 5 s (each look writes its progression row, so
        // polling every 250 ms cost 4 commits a second forever); a missed notification costs at most that. Under load it looks at most
        // once per DaemonBatchWindow, so its agents commit pages of many events (BatchingWakeup). The wake-up is one for the whole store and
        // LISTENs on every archive's database (BatchingWakeup.ListenEverywhereAsync).
        opts.Listeners.Add(new AppendNotifier());
        opts.Projections.Wakeup = sp.GetRequiredService<BatchingWakeup>();
        opts.Projections.SlowPollingTime = TimeSpan.FromSeconds(5);
        return opts.ConfigureEventStore(sp, settings, withLedger);
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (services.All(s => s.ServiceType != typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }

    public static WebApplication UseProvenance(this WebApplication app)
    {
        app.UseMiddleware<CorrelationMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // /t/{archive}/log/... becomes /log/... in that archive, so it must run before routing matches the path.
        app.UseMiddleware<ArchivePathMiddleware>();
        app.UseRouting();
        app.UseAuthentication();
        app.UseMiddleware<ArchiveMiddleware>();
        app.UseAuthorization();
        app.UseMiddleware<RequestHygieneMiddleware>();
        app.UseMiddleware<IdempotencyMiddleware>();

        app.MapOpenApi();
        // Offline and self-contained: Scalar's bundle is served from the package itself; no web fonts, AI agent, MCP, telemetry or
        // developer toolbar (its deploy and share buttons), each of which would call Scalar's servers.
        app.MapScalarApiReference("/docs", o => o.WithTitle("Provenance API reference")
            .AddDocument("v1", "Provenance API", "/openapi/v1.json", isDefault: true)
            .WithOperationTitleSource(OperationTitleSource.Summary)
            .DisableDefaultFonts().DisableAgent().DisableMcp().DisableTelemetry().HideDeveloperTools());
        app.MapProvenanceHealthChecks();
        app.MapWolverineEndpoints(http =>
        {
            // The request's (normalised) X-Correlation-Id becomes the correlation id of every event an endpoint appends.
            http.ApplyCorrelationIdHeaderToAllEndpoints = true;
            http.AddPolicy<IdempotencyPolicy>();
            // Every chain opens its session in the request's tenant (today always the default one; see ProvenanceTenantDetection).
            http.TenantId.DetectWith(new ProvenanceTenantDetection());
        });
        app.MapProvenanceWeb();
        return app;
    }
}
