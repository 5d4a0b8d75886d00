using Npgsql;
using VisionLab.Tracking.Store;

namespace VisionLab.Tests.Tracking.Store;

/// <summary>A <c>postgres://</c> URL becomes the right connection string, and its password is
/// never part of anything shown.</summary>
public sealed class PostgresLocationTests
{
    [Fact]
    public void A_url_becomes_a_connection_string_with_every_part_decoded()
    {
        var location = PostgresLocation.Parse("postgresql://team%40lab:p%40ss%2Fw%3Ard@db.example.org:6543/vision%20runs?sslmode=verify-full&application_name=tuner");
        var built = new NpgsqlConnectionStringBuilder(location.ConnectionString);
        Assert.Equal("db.example.org", built.Host);
        Assert.Equal(6543, built.Port);
        Assert.Equal("team@lab", built.Username);
        Assert.Equal("p@ss/w:rd", built.Password);
        Assert.Equal("vision runs", built.Database);
        Assert.Equal(SslMode.VerifyFull, built.SslMode);
        Assert.Equal("tuner", built.ApplicationName);
        Assert.DoesNotContain("p%40ss", location.Display);
        Assert.Equal("postgresql://team%40lab:***@db.example.org:6543/vision%20runs?sslmode=verify-full&application_name=tuner", location.Display);
    }

    [Fact]
    public void Port_database_and_password_may_be_left_to_the_defaults()
    {
        var built = new NpgsqlConnectionStringBuilder(PostgresLocation.Parse("postgres://alice@localhost").ConnectionString);
        Assert.Equal(("localhost", 5432, "alice"), (built.Host, built.Port, built.Username));
        Assert.Null(built.Password);
        Assert.Null(built.Database);
        Assert.Equal("visionlab", built.ApplicationName);
    }

    [Theory]
    [InlineData("postgres://u:secret@h/db", "postgres://u:***@h/db")]
    [InlineData("postgres://u:se/cr@et@h:1/db", "postgres://u:***@h:1/db")]
    [InlineData("postgres://u@h/db", "postgres://u@h/db")]
    [InlineData("postgres://h/db", "postgres://h/db")]
    [InlineData("not a url", "not a url")]
    public void Redacting_hides_the_whole_password_whatever_it_holds(string url, string shown) =>
        Assert.Equal(shown, PostgresLocation.Redact(url));

    [Fact]
    public void Bad_urls_are_refused_without_showing_the_password()
    {
        var noHost = Assert.Throws<VisionLabException>(() => PostgresLocation.Parse("postgres://u:secret@/db"));
        Assert.DoesNotContain("secret", noHost.Message);
        var unknown = Assert.Throws<VisionLabException>(() => PostgresLocation.Parse("postgres://u:secret@h/db?colour=blue"));
        Assert.Contains("colour=blue", unknown.Message);
        Assert.DoesNotContain("secret", unknown.Message);
        Assert.Throws<VisionLabException>(() => PostgresLocation.Parse("postgres://u:secret@h/db?sslmode=sometimes"));
    }

    [Fact]
    public void A_server_that_cannot_be_reached_is_named_without_its_password()
    {
        // Port 1 on the loopback refuses at once: nothing listens there.
        var unreachable = Assert.Throws<VisionLabException>(() => ExperimentStore.Open("postgres://u:hunter2@127.0.0.1:1/db"));
        Assert.StartsWith("run store postgres://u:***@127.0.0.1:1/db:", unreachable.Message);
        Assert.DoesNotContain("hunter2", unreachable.ToString());
    }
}
