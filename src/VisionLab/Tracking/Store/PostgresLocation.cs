using Npgsql;

namespace VisionLab.Tracking.Store;

/// <summary>
/// A <c>postgres://user:password@host:port/database?sslmode=require</c> URL — the form libpq,
/// psql and most hosting services hand out — turned into an Npgsql connection string. The
/// password never leaves this type except inside the connection string: <see cref="Display"/>
/// and every message show the URL without it.
/// </summary>
internal sealed record PostgresLocation(string ConnectionString, string Display)
{
    public static bool IsUrl(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    public static PostgresLocation Parse(string url)
    {
        string display = Redact(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !IsUrl(url) || uri.DnsSafeHost.Length == 0)
            throw new VisionLabException($"--store {display} is not a PostgreSQL URL (postgres://user:password@host:port/database)");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.DnsSafeHost,
            Port = uri.Port > 0 ? uri.Port : 5432,
            ApplicationName = "visionlab",
        };
        if (uri.UserInfo.Length > 0)
        {
            string[] user = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(user[0]);
            // No password in the URL: Npgsql looks in PGPASSWORD and ~/.pgpass, as psql does.
            if (user.Length == 2) builder.Password = Uri.UnescapeDataString(user[1]);
        }
        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Contains('/'))
            throw new VisionLabException($"--store {display}: '{database}' is not a database name");
        if (database.Length > 0) builder.Database = database;
        foreach (var (key, value) in QueryOptions(uri.Query))
            Apply(builder, key, value, display);
        return new PostgresLocation(builder.ConnectionString, display);
    }

    /// <summary>The URL with any password replaced by <c>***</c>; safe to print and log.</summary>
    public static string Redact(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return url;
        int start = scheme + 3;
        // The last '@' anywhere: a password holding '/' or '@' is still hidden whole, and an '@'
        // in a later option only hides more than needed, never less.
        int at = url.LastIndexOf('@');
        if (at < start) return url;
        int colon = url.IndexOf(':', start, at - start);
        return colon < 0 ? url : url[..(colon + 1)] + "***" + url[at..];
    }

    private static IEnumerable<(string Key, string Value)> QueryOptions(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            string[] kv = pair.Split('=', 2);
            return (Uri.UnescapeDataString(kv[0]), kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "");
        });

    // libpq's names for the options people put in URLs; anything else is tried as an Npgsql
    // connection-string keyword ("Maximum Pool Size", "Include Error Detail", ...).
    private static void Apply(NpgsqlConnectionStringBuilder builder, string key, string value, string display)
    {
        try
        {
            switch (key.ToLowerInvariant())
            {
                case "sslmode":
                    builder.SslMode = Enum.Parse<SslMode>(value.Replace("-", ""), ignoreCase: true);
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                default:
                    builder[key] = value;
                    break;
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or KeyNotFoundException)
        {
            throw new VisionLabException($"--store {display}: option {key}={value} is not understood ({e.Message.Split('\n')[0]})");
        }
    }
}
