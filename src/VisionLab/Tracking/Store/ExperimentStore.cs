namespace VisionLab.Tracking.Store;

/// <summary>Opens the experiment store a <c>--store</c> option names.</summary>
public static class ExperimentStore
{
    /// <summary>Where runs are recorded when no store is named: beside the run folders of the
    /// project (the current folder), so a project carries its own history.</summary>
    public static string DefaultPath => Path.GetFullPath(Path.Combine("runs", "visionlab.sqlite"));

    /// <summary>The store used when no <c>--store</c> is given, if set: a way to name a PostgreSQL
    /// URL (which holds a password) without putting it on a command line other users can read.</summary>
    public const string LocationVariable = "VISIONLAB_STORE";

    /// <summary>
    /// <paramref name="location"/> null or empty: <see cref="LocationVariable"/> when set, else the SQLite file at <see cref="DefaultPath"/>;
    /// <c>postgres://user:password@host:port/database</c> (or <c>postgresql://</c>): that
    /// PostgreSQL database, shared by a team or several machines; anything else: the path of a
    /// SQLite file. The tables are created, or brought up to date, on open.
    /// </summary>
    /// <param name="create">False for verbs that only read: a missing SQLite file is then an error
    /// rather than a new empty store.</param>
    public static IExperimentStore Open(string? location, bool create = true)
    {
        if (string.IsNullOrWhiteSpace(location)) location = Environment.GetEnvironmentVariable(LocationVariable);
        if (string.IsNullOrWhiteSpace(location)) return new SqliteExperimentStore(DefaultPath, create);
        if (PostgresLocation.IsUrl(location)) return new PostgresExperimentStore(PostgresLocation.Parse(location));
        if (location.Contains("://", StringComparison.Ordinal))
            throw new VisionLabException(
                $"--store {PostgresLocation.Redact(location)}: only postgres:// URLs and SQLite file paths are run stores");
        return new SqliteExperimentStore(location, create);
    }
}
