using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Tracking.Store;

/// <summary>
/// A private PostgreSQL server for the tests of one class: a fresh cluster in a temporary folder,
/// listening on a free localhost port with trust authentication, stopped and removed on dispose.
/// PostgreSQL refuses to run as root, so under root the server runs as the <c>postgres</c> user
/// that Debian's package creates. Missing server binaries fail the tests — CI installs them
/// (scripts/setup.sh) and a skipped test would hide a store nobody tested.
/// </summary>
public sealed class PostgresTestServer : IDisposable
{
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly TempFolder folder = new();
    private readonly string binaries;
    private readonly bool asServiceUser;
    private int databases;

    public PostgresTestServer()
    {
        try
        {
            binaries = FindBinaries();
            asServiceUser = Environment.UserName == "root";
            if (asServiceUser)
            {
                if (Run("id", ["-u", ServiceUser], asServiceUser: false).ExitCode != 0)
                    throw new InvalidOperationException(
                        $"the tests run as root and PostgreSQL will not; there is no '{ServiceUser}' user to run it as (apt-get install postgresql creates one)");
                Require(Run("chown", [ServiceUser, folder.Path], asServiceUser: false), "chown of the server's folder");
            }
            Require(Run(Path.Combine(binaries, "initdb"),
                ["-D", DataFolder, "-U", ServiceUser, "-A", "trust", "-E", "UTF8", "--no-sync"]), "initdb");
            Port = StartOnFreePort();
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public int Port { get; }

    private string DataFolder => Path.Combine(folder.Path, "data");
    private string LogFile => Path.Combine(folder.Path, "server.log");

    /// <summary>
    /// A new empty database, as the URL a user would give <c>--store</c>. The password is
    /// deliberately there (trust authentication ignores it), so tests can check it is never shown.
    /// </summary>
    public string NewDatabaseUrl()
    {
        string name = $"store_{Interlocked.Increment(ref databases)}";
        using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }
        return $"postgres://{ServiceUser}:{Password}@127.0.0.1:{Port}/{name}";
    }

    /// <summary>The password in every URL <see cref="NewDatabaseUrl"/> hands out.</summary>
    public const string Password = "not-to-be-printed-7Qz";

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={ServiceUser};Database={database};Pooling=false";

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Run(Path.Combine(binaries, "pg_ctl"), ["-D", DataFolder, "-m", "immediate", "-w", "stop"]);
        folder.Dispose();
    }

    private int StartOnFreePort()
    {
        // The free port can be taken between asking and listening; a few tries settle that.
        for (int attempt = 1; ; attempt++)
        {
            int port = FreePort();
            string options = $"-p {port} -k {folder.Path} -c listen_addresses=127.0.0.1 " +
                             "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            var start = Run(Path.Combine(binaries, "pg_ctl"), ["-D", DataFolder, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"]);
            if (start.ExitCode == 0) return port;
            if (attempt == 3)
                throw new InvalidOperationException($"PostgreSQL did not start: {start.Output}\n{Tail(LogFile)}");
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string FindBinaries()
    {
        // Debian and Ubuntu keep each major version under /usr/lib/postgresql/<version>/bin; take the newest.
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Version: int.TryParse(Path.GetFileName(d), out int v) ? v : -1, Bin: Path.Combine(d, "bin")))
                .Where(d => d.Version >= 0 && File.Exists(Path.Combine(d.Bin, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Bin)
            : [];
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return debian.Concat(onPath).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
               ?? throw new InvalidOperationException(
                   "PostgreSQL server binaries (initdb, pg_ctl) are not installed, in /usr/lib/postgresql/*/bin or on PATH; " +
                   "the run store's PostgreSQL tests start a private server with them: apt-get install postgresql (scripts/setup.sh --reference does)");
    }

    private (int ExitCode, string Output) Run(string program, string[] arguments) => Run(program, arguments, asServiceUser);

    private static (int ExitCode, string Output) Run(string program, string[] arguments, bool asServiceUser)
    {
        var start = new ProcessStartInfo(asServiceUser ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asServiceUser)
            foreach (string a in new[] { "-u", ServiceUser, "--", program }) start.ArgumentList.Add(a);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        // Line events rather than ReadToEnd: the server pg_ctl leaves running must not hold up
        // the wait should it ever keep the pipes open.
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in {CommandTimeout.TotalSeconds} s");
        }
        lock (output) return (process.ExitCode, output.ToString().Trim());
    }

    private static void Require((int ExitCode, string Output) result, string what)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"{what} failed ({result.ExitCode}): {result.Output}");
    }

    private static string Tail(string file) =>
        File.Exists(file) ? string.Join('\n', File.ReadLines(file).TakeLast(20)) : "(no server log)";
}
