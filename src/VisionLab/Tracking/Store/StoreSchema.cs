namespace VisionLab.Tracking.Store;

/// <summary>
/// The store's tables, as a list of upgrades: entry <c>n</c> takes a store from version <c>n</c>
/// to <c>n + 1</c>, and <c>schema_version</c> records how far a store has come. A released entry
/// is never edited — a new column or table is a new entry — so every store, however old, reaches
/// the same shape. The SQL is common to SQLite and PostgreSQL; only the timestamp column type
/// differs (<c>{timestamp}</c>).
/// </summary>
internal static class StoreSchema
{
    public static int Version => Upgrades.Count;

    public static IReadOnlyList<string[]> Upgrades { get; } =
    [
        // 1: runs with their metrics; tuning studies with their trials.
        [
            """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                model TEXT NOT NULL,
                data TEXT NOT NULL,
                config TEXT NOT NULL,
                folder TEXT,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                status TEXT NOT NULL,
                error TEXT,
                started {timestamp} NOT NULL,
                updated {timestamp} NOT NULL,
                finished {timestamp})
            """,
            "CREATE INDEX runs_by_start ON runs (started)",
            // value is nullable: NULL holds NaN, which SQLite cannot store.
            """
            CREATE TABLE metrics (
                run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                metric TEXT NOT NULL,
                step INTEGER NOT NULL,
                value DOUBLE PRECISION,
                recorded {timestamp} NOT NULL,
                PRIMARY KEY (run_id, metric, step))
            """,
            """
            CREATE TABLE studies (
                name TEXT PRIMARY KEY,
                direction TEXT NOT NULL,
                space TEXT NOT NULL,
                created {timestamp} NOT NULL)
            """,
            """
            CREATE TABLE trials (
                study TEXT NOT NULL REFERENCES studies (name) ON DELETE CASCADE,
                number INTEGER NOT NULL,
                state TEXT NOT NULL,
                params TEXT NOT NULL,
                value DOUBLE PRECISION,
                run_id TEXT,
                started {timestamp} NOT NULL,
                finished {timestamp},
                PRIMARY KEY (study, number))
            """,
            """
            CREATE TABLE trial_intermediates (
                study TEXT NOT NULL,
                number INTEGER NOT NULL,
                step INTEGER NOT NULL,
                value DOUBLE PRECISION,
                PRIMARY KEY (study, number, step),
                FOREIGN KEY (study, number) REFERENCES trials (study, number) ON DELETE CASCADE)
            """,
        ],
        // 2: a running trial's last sign of life from its worker, and why a trial failed.
        [
            "ALTER TABLE trials ADD COLUMN heartbeat {timestamp}",
            "ALTER TABLE trials ADD COLUMN message TEXT",
        ],
    ];
}
