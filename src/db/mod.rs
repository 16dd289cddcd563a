//! Storage: one connection type over SQLite and PostgreSQL, its pool and its migrations.
//!
//! Queries are written once against [`DbConnection`]; the backend is chosen from the
//! database URL (see [`DatabaseUrl`]). Each table's queries live in the module named after it.

pub mod bulk;
pub mod changes;
pub mod days;
pub mod deadline;
pub mod fixed_sql;
pub mod incubators;
pub mod keyed;
pub mod line_chunks;
pub mod metric_lines;
pub mod metrics;
pub mod one_of;
pub mod organisations;
pub mod page;
pub mod phases;
pub mod pipelined;
pub mod plans;
pub mod pool;
pub mod ranked;
pub mod revision;
pub mod schema;
pub mod search_index;
pub mod shared_reads;
pub mod sources_kept;
pub mod startup_lines;
pub mod startup_list;
pub mod startups;
pub mod stats;
pub mod tallies;
pub mod tokens;

use std::collections::HashSet;
use std::fmt;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// A connection to either backend; diesel dispatches every query to the live variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

pub use keyed::{Keyed, Rewritable};
pub use pool::{
    ConnectionManager, DbPool, PoolSettings, PooledConnection, Unavailable, connect,
    connect_for_requests, open_pool,
};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Where the data lives: a `postgres://` (or `postgresql://`) URL, anything else is a SQLite file.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(url.to_owned())
        } else {
            Self::Sqlite(url.strip_prefix("sqlite://").unwrap_or(url).to_owned())
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// Shows the URL without its password, so it can be logged.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite file {path}"),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    let credentials = &url[scheme_end + 3..at];
                    let user = credentials.split(':').next().unwrap_or_default();
                    write!(f, "{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                _ => f.write_str(url),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The ids of every record of each referenceable table.
#[derive(Debug, Clone, Default)]
pub struct IdSets {
    pub sources: HashSet<String>,
    pub phases: HashSet<String>,
    pub organisations: HashSet<String>,
    pub incubators: HashSet<String>,
    pub startups: HashSet<String>,
    pub metrics: HashSet<String>,
}

/// Another stored id of `kind` equal to `id` but for case or Unicode form, if there is one.
/// Reads every id of the table: for creates, which are rare.
pub fn lookalike_id(
    conn: &mut DbConnection,
    kind: crate::domain::source::RecordKind,
    id: &str,
) -> QueryResult<Option<String>> {
    use crate::domain::ids::id_key;
    use crate::domain::source::RecordKind;
    use schema::*;
    let ids: Vec<String> = match kind {
        RecordKind::Organisation => organisations::table.select(organisations::id).load(conn)?,
        RecordKind::Incubator => incubators::table.select(incubators::id).load(conn)?,
        RecordKind::Startup => startups::table.select(startups::id).load(conn)?,
    };
    let key = id_key(id);
    Ok(ids
        .into_iter()
        .find(|other| other != id && id_key(other) == key))
}

/// Reads the ids already stored, so that new records can reference them.
pub fn stored_ids(conn: &mut DbConnection) -> QueryResult<IdSets> {
    use schema::*;
    fn set(ids: Vec<String>) -> HashSet<String> {
        ids.into_iter().collect()
    }
    Ok(IdSets {
        sources: set(sources::table.select(sources::id).load(conn)?),
        phases: set(phases::table.select(phases::id).load(conn)?),
        organisations: set(organisations::table.select(organisations::id).load(conn)?),
        incubators: set(incubators::table.select(incubators::id).load(conn)?),
        startups: set(startups::table.select(startups::id).load(conn)?),
        metrics: set(metrics::table.select(metrics::id).load(conn)?),
    })
}

/// A round trip to the database: `SELECT 1`.
pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
        .execute(conn)
        .map(drop)
}

/// Runs `work`, which only reads, on one snapshot of the data. On SQLite that is one deferred
/// transaction: its statements see the same data (a page and its total, a startup and its
/// relations), and take the WAL's read lock once rather than each its own. On PostgreSQL each
/// statement keeps its own snapshot: a transaction would cost two more round trips.
pub fn read<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    match conn {
        DbConnection::Sqlite(_) => conn.transaction(work),
        DbConnection::Postgres(_) => work(conn),
    }
}

/// Runs `work`, which only reads, on one snapshot of the data on both backends: on PostgreSQL,
/// a read-only repeatable-read transaction. For reads of many rows, where two more round trips
/// are nothing: a chunk of a whole export ([`line_chunks`]).
pub fn read_snapshot<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    match conn {
        DbConnection::Sqlite(_) => conn.transaction(work),
        DbConnection::Postgres(_) => conn.transaction(|conn| {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            work(conn)
        }),
    }
}

/// Refreshes the query planner's statistics after a large load, so that queries are planned
/// for the data as it now is (PostgreSQL's autovacuum would do it later; SQLite never would).
/// On PostgreSQL the vacuum also marks the new pages all-visible, which index-only scans need,
/// and the tables of counts kept by triggers are rewritten whole ([`tallies::TABLES`]: a few
/// thousand rows, which a load leaves among as many dead versions as it wrote). Must run
/// outside a transaction.
///
/// On SQLite, [`SAMPLED_INDEXES`] alone keep their samples of values (`sqlite_stat4`).
pub fn analyze(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            c.batch_execute("ANALYZE")?;
            forget_samples(c)
        }
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("VACUUM FULL {}", tallies::TABLES.join(", ")))?;
            c.batch_execute("VACUUM ANALYZE")
        }
    }
}

/// The SQLite indexes whose samples of values the planner keeps. With samples of an index
/// (`sqlite_stat4`), SQLite plans a statement for the values bound to it, and so prepares a
/// kept statement again each time a value is bound anew: a third of a filtered page's time at
/// 100,000 startups (BENCHMARKS.md). Equality on an id needs no samples (`sqlite_stat1` says
/// how many rows a value has on average); a range of creation days does: from samples, SQLite
/// knows that `created_after=2015-01-01` keeps most startups, and reads them in the page's
/// order rather than sorting them all; and the two indexes in the orders of `sort=created`,
/// which hold the creation day too: without their samples, SQLite reads such a range from them
/// and sorts it.
pub const SAMPLED_INDEXES: &[&str] = &[
    "startups_created_on",
    "startups_created_first",
    "startups_created_last",
];

/// Brings a database analysed before [`SAMPLED_INDEXES`] to its rule, when it is opened to
/// serve. PostgreSQL plans a prepared statement for its values without that cost.
pub fn keep_sampled_indexes(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => forget_samples(c),
        DbConnection::Postgres(_) => Ok(()),
    }
}

/// Forgets the samples of every index but [`SAMPLED_INDEXES`], and reloads the statistics.
fn forget_samples(conn: &mut SqliteConnection) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let table: Found = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat4'",
    )
    .get_result(conn)?;
    if table.n == 0 {
        return Ok(());
    }
    let kept = vec!["?"; SAMPLED_INDEXES.len()].join(", ");
    let forget = format!("DELETE FROM sqlite_stat4 WHERE idx NOT IN ({kept})");
    let forgotten = SAMPLED_INDEXES
        .iter()
        .fold(diesel::sql_query(forget).into_boxed(), |q, idx| {
            q.bind::<Text, _>(*idx)
        })
        .execute(conn)?;
    if forgotten > 0 {
        // Statistics are read when the schema is: this reloads them.
        conn.batch_execute("ANALYZE sqlite_schema")?;
    }
    Ok(())
}

/// Applies the pending embedded migrations of the connection's backend; returns their names.
pub fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, MigrationError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|source| MigrationError(source.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// When this database was made: the time its first migration ran, as diesel recorded it (its
/// `CURRENT_TIMESTAMP`: UTC on SQLite, the server's time zone on PostgreSQL); `None` before any.
pub fn created_at(conn: &mut DbConnection) -> QueryResult<Option<chrono::NaiveDateTime>> {
    // Diesel's own record of the migrations it ran, not one of ours: declared here, where it is
    // read, rather than in `schema`, which mirrors `migrations/`.
    diesel::table! {
        __diesel_schema_migrations (version) {
            version -> Text,
            run_on -> Timestamp,
        }
    }
    __diesel_schema_migrations::table
        .select(diesel::dsl::min(__diesel_schema_migrations::run_on))
        .get_result(conn)
}

/// Reverts every applied migration (used by the tests that run migrations down and up).
pub fn revert_all(conn: &mut DbConnection) -> Result<(), MigrationError> {
    match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(drop),
        DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(drop),
    }
    .map_err(|source| MigrationError(source.to_string()))
}

/// Reverts the last migration applied; returns its name.
pub fn revert_last(conn: &mut DbConnection) -> Result<String, MigrationError> {
    match conn {
        DbConnection::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.revert_last_migration(POSTGRES_MIGRATIONS),
    }
    .map(|version| version.to_string())
    .map_err(|source| MigrationError(source.to_string()))
}

#[derive(Debug, thiserror::Error)]
#[error("migration failed: {0}")]
pub struct MigrationError(String);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(diesel::QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }

    /// The flags of `.cargo/config.toml` reached the bundled SQLite: a page cache of its own
    /// for each connection (not one behind a mutex for all), no memory statistics, and no
    /// mutex per connection (multi-thread mode).
    #[test]
    fn sqlite_is_built_for_concurrent_readers() {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .expect("compile options")
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        assert!(options.iter().any(|o| o == "THREADSAFE=2"), "{options:?}");
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
    }

    #[test]
    fn url_scheme_picks_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").backend(),
            "postgres"
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").backend(),
            "postgres"
        );
        assert_eq!(
            DatabaseUrl::parse("betadata.db"),
            DatabaseUrl::Sqlite("betadata.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db"),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
    }

    #[test]
    fn analysing_keeps_the_samples_of_the_sampled_indexes_alone() {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").unwrap());
        migrate(&mut conn).unwrap();
        conn.batch_execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
             INSERT INTO startups (id, name, incubator_id, created_on, updated_at) \
             SELECT 's' || i, 'S' || i, NULL, date('2015-01-01', '+' || i || ' days'), \
                    '2026-01-01 00:00:00' FROM n",
        )
        .unwrap();
        analyze(&mut conn).unwrap();
        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        #[derive(QueryableByName, Debug, PartialEq)]
        struct Sampled {
            #[diesel(sql_type = diesel::sql_types::Text)]
            idx: String,
        }
        let sampled: Vec<Sampled> =
            diesel::sql_query("SELECT DISTINCT idx FROM sqlite_stat4 ORDER BY idx")
                .load(c)
                .unwrap();
        let mut kept: Vec<Sampled> = SAMPLED_INDEXES
            .iter()
            .map(|idx| Sampled {
                idx: idx.to_string(),
            })
            .collect();
        kept.sort_by(|a, b| a.idx.cmp(&b.idx));
        assert_eq!(sampled, kept);
        let stat1: Vec<Sampled> =
            diesel::sql_query("SELECT DISTINCT idx FROM sqlite_stat1 WHERE idx IS NOT NULL")
                .load(c)
                .unwrap();
        assert!(stat1.len() > 1, "every index keeps its averages: {stat1:?}");
    }

    #[test]
    fn display_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://me:secret@db:5432/betadata");
        assert_eq!(url.to_string(), "postgres://me:***@db:5432/betadata");
    }
}
