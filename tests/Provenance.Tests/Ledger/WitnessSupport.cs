using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.Utilities.Collections;
using Org.BouncyCastle.X509;
using Provenance.Cli;
using Spectre.Console;

namespace Provenance.Tests.Ledger;

/// <summary><c>provenance witness serve</c> as a separate process (the CLI's Release build), on a loopback port, killable and restartable.</summary>
public sealed class WitnessProcess(string signerKey, string state, int port, params string[] logs) : IDisposable
{
    private Process? _process;
    public ConcurrentQueue<string> Output { get; } = new();
    public string Url => $"http://127.0.0.1:{port}";

    public static string CliDll()
    {
        var api = new FileInfo(Provenance.Faults.ApiProcess.DllPath());
        var root = api.Directory!.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var configuration = api.Directory!.Parent!.Name;
        var dll = Path.Combine(root, "src", "Provenance.Cli", "bin", configuration, "net10.0", "provenance.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"Build the CLI first: {dll} is missing.");
    }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { CliDll(), "witness", "serve", "--key", signerKey, "--state", state, "--listen", $"127.0.0.1:{port}" }) info.ArgumentList.Add(arg);
        foreach (var log in logs)
        {
            info.ArgumentList.Add("--log");
            info.ArgumentList.Add(log);
        }
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) Output.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Output.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited) throw new InvalidOperationException($"The witness exited ({_process.ExitCode}): {string.Join('\n', Output)}");
            if (Output.Any(l => l.StartsWith("Witness ", StringComparison.Ordinal))) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"The witness did not start: {string.Join('\n', Output)}");
    }

    /// <summary>SIGKILL: what it acknowledged must already be on disk.</summary>
    public void Kill()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}

/// <summary>
/// A local RFC 3161 time-stamp authority for tests: BouncyCastle's TimeStampResponseGenerator behind a small HTTP handler, its
/// certificate (critical extended key usage id-kp-timeStamping) issued by a test CA created here.
/// </summary>
public sealed class TestTimestampAuthority : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeStampResponseGenerator _responses;
    private long _serial;
    public string CaPem { get; }
    public string Url { get; }
    public int Requests;

    public TestTimestampAuthority(int port)
    {
        var random = new SecureRandom();
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(Org.BouncyCastle.Asn1.Sec.SecObjectIdentifiers.SecP256r1, random));
        var caKeys = generator.GenerateKeyPair();
        var tsaKeys = generator.GenerateKeyPair();
        var caName = new X509Name("CN=Provenance Test CA");
        var notBefore = DateTime.UtcNow.AddDays(-1);
        var notAfter = DateTime.UtcNow.AddDays(30);

        var ca = new X509V3CertificateGenerator();
        ca.SetSerialNumber(BigInteger.One);
        ca.SetIssuerDN(caName);
        ca.SetSubjectDN(caName);
        ca.SetNotBefore(notBefore);
        ca.SetNotAfter(notAfter);
        ca.SetPublicKey(caKeys.Public);
        ca.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(true));
        ca.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        var caCert = ca.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", caKeys.Private));

        var tsa = new X509V3CertificateGenerator();
        tsa.SetSerialNumber(BigInteger.Two);
        tsa.SetIssuerDN(caName);
        tsa.SetSubjectDN(new X509Name("CN=Provenance Test TSA"));
        tsa.SetNotBefore(notBefore);
        tsa.SetNotAfter(notAfter);
        tsa.SetPublicKey(tsaKeys.Public);
        tsa.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        tsa.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature));
        tsa.AddExtension(X509Extensions.ExtendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeID.id_kp_timeStamping));
        var tsaCert = tsa.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", caKeys.Private));

        using (var writer = new StringWriter())
        {
            var pem = new Org.BouncyCastle.OpenSsl.PemWriter(writer);
            pem.WriteObject(caCert);
            pem.Writer.Flush();
            CaPem = writer.ToString();
        }

        var tokens = new TimeStampTokenGenerator(tsaKeys.Private, tsaCert, TspAlgorithms.Sha256, "1.3.6.1.4.1.99999.1");
        tokens.SetCertificates(CollectionUtilities.CreateStore(new List<X509Certificate> { tsaCert }));
        _responses = new TimeStampResponseGenerator(tokens, TspAlgorithms.Allowed);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        _app = builder.Build();
        _app.MapPost("/", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Interlocked.Increment(ref Requests);
            context.Response.ContentType = "application/timestamp-reply";
            await context.Response.Body.WriteAsync(Answer(body.ToArray()));
        });
        Url = $"http://127.0.0.1:{port}/";
    }

    /// <summary>The DER TimeStampResp the authority answers to a DER TimeStampReq.</summary>
    public byte[] Answer(byte[] request) =>
        _responses.Generate(new TimeStampRequest(request), BigInteger.ValueOf(Interlocked.Increment(ref _serial)), DateTime.UtcNow).GetEncoded();

    /// <summary>A refusal (PKIStatus rejection), as an authority answers a request it will not stamp.</summary>
    public byte[] Refusal() =>
        _responses.GenerateFailResponse(Org.BouncyCastle.Asn1.Cmp.PkiStatus.Rejection, Org.BouncyCastle.Asn1.Cmp.PkiFailureInfo.BadAlg, "refused").GetEncoded();

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>The CLI's command tree in-process, against real HTTP servers, with its output captured.</summary>
public static class WitnessCli
{
    private static readonly SemaphoreSlim Console1 = new(1, 1);

    public static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        await Console1.WaitAsync();
        var writer = new StringWriter();
        var (stdout, stderr, ansi) = (Console.Out, Console.Error, AnsiConsole.Console);
        Console.SetOut(writer);
        Console.SetError(writer);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        try
        {
            var exit = await Commands.RunAsync((api, key) =>
            {
                var client = new HttpClient { BaseAddress = new Uri(api.TrimEnd('/') + "/") };
                if (key.Length > 0) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
                return client;
            }, args);
            return (exit, writer.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            AnsiConsole.Console = ansi;
            Console1.Release();
        }
    }

    public static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
