//! The connection pool, and what it answers when the database cannot be used.
//!
//! r2d2 keeps the connections and re-opens lost ones in the background. On top of it,
//! [`DbPool::get`] fails fast: once an attempt to connect has failed, and until one succeeds,
//! a request gets a free connection that still answers or at once [`Unavailable`], instead of
//! waiting the whole connection timeout for a connection that cannot come. Query errors that
//! mean "the database could not be used" (a lost connection, SQLite's write lock held past the
//! busy timeout) are told apart from the others by [`Unavailable::classify`], so the API can
//! answer them 503 rather than 500.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::plans::Plans;
use super::{DatabaseUrl, DbConnection, ping};

pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// The default of [`PoolSettings::trusted_for`]. A connection in steady use is not pinged at
/// every request (a round trip that cost a third of the throughput of one startup,
/// BENCHMARKS.md); one idle for longer is, as a restart of the server breaks the connections
/// it had.
pub const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// When a pooled connection was last handed out, kept with it by the pool.
#[derive(Debug, Clone, Copy)]
struct HandedOut(Instant);

/// How long [`DbPool::get`] waits in one go before looking again whether the database has
/// become unreachable meanwhile.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// Pragmas for every SQLite connection: concurrent readers during a write (WAL), waiting on
/// a lock instead of failing at once, and enforced foreign keys.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// r2d2 manager that opens the backend named by the URL, prepares each new connection, and
/// notes whether the last attempt to connect succeeded.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    reachability: Arc<Reachability>,
    /// PostgreSQL cancels any statement running longer than this (`statement_timeout`).
    statement_timeout: Option<Duration>,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            reachability: Arc::default(),
            statement_timeout: None,
        }
    }

    /// Has PostgreSQL cancel every statement of these connections that runs longer than
    /// `limit`; SQLite has no such setting, and ignores it.
    pub fn with_statement_timeout(self, limit: Option<Duration>) -> Self {
        Self {
            statement_timeout: limit,
            ..self
        }
    }

    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                super::deadline::install();
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                if let Some(limit) = self.statement_timeout {
                    conn.batch_execute(&set_statement_timeout(limit))
                        .map_err(r2d2::Error::QueryError)?;
                }
                Ok(DbConnection::Postgres(conn))
            }
        }
    }
}

/// The statement that has PostgreSQL cancel, on its connection, any statement running longer
/// than `limit`: the pool's and the workers' pipelined connections ([`super::pipelined`]).
pub(super) fn set_statement_timeout(limit: Duration) -> String {
    // Milliseconds, PostgreSQL's unit when none is given.
    format!("SET statement_timeout = {}", limit.as_millis())
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let outcome = self.open();
        match &outcome {
            Ok(_) => self.reachability.connected(),
            // Only a refused connection says the database is out of reach: a pragma that
            // found SQLite's file locked is retried by the pool like any failed attempt.
            Err(error @ r2d2::Error::ConnectionError(_)) => self.reachability.failed(error),
            Err(_) => {}
        }
        outcome
    }

    /// Not asked by the pool ([`DbPool::get`] pings instead), but kept true to its name.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        ping(conn).map_err(r2d2::Error::QueryError)
    }

    /// A connection given back inside a transaction, or whose transaction manager gave up, is
    /// closed rather than reused. diesel's gives up on a PostgreSQL connection whose server
    /// went away (libpq no longer knows its transaction status), so a connection that work
    /// found lost is not handed out again, unpinged (see [`PoolSettings::trusted_for`]).
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Whether the database can be reached, as the last attempt to connect found.
#[derive(Debug, Default)]
struct Reachability {
    outage: Mutex<Option<Outage>>,
}

/// Since when the database cannot be reached, and why.
#[derive(Debug, Clone)]
pub struct Outage {
    pub since: Instant,
    /// The error of the last attempt to connect (for the logs: it may name hosts).
    pub cause: String,
}

impl Reachability {
    fn failed(&self, error: &r2d2::Error) {
        let mut outage = self.outage.lock().unwrap_or_else(PoisonError::into_inner);
        match outage.as_mut() {
            Some(outage) => outage.cause = error.to_string(),
            None => {
                log::warn!(
                    "database unreachable ({error}); requests get 503 until a connection succeeds"
                );
                *outage = Some(Outage {
                    since: Instant::now(),
                    cause: error.to_string(),
                });
            }
        }
    }

    fn connected(&self) {
        let mut outage = self.outage.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(outage) = outage.take() {
            log::info!(
                "database reachable again, after {:.1} s",
                outage.since.elapsed().as_secs_f64()
            );
        }
    }

    fn outage(&self) -> Option<Outage> {
        self.outage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Why the database could not be used; the API answers all of them 503, with `Retry-After`.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// No connection was free, or could be opened, within the connection timeout.
    #[error("no database connection within the connection timeout: {0}")]
    Timeout(r2d2::PoolError),
    /// The last attempt to connect failed, and no pooled connection answers.
    #[error(
        "the database has been unreachable for {:.1} s: {}",
        .0.since.elapsed().as_secs_f64(),
        .0.cause
    )]
    Unreachable(Outage),
    /// The connection was lost while in use (the server restarted, the network failed).
    #[error("the database connection was lost: {0}")]
    Lost(DieselError),
    /// SQLite: another connection held the write lock past the busy timeout.
    #[error("the database stayed locked by another writer: {0}")]
    Locked(DieselError),
}

impl Unavailable {
    /// `error` as an [`Unavailable`] when it says the database could not be used rather than
    /// that the query was wrong; else `error` itself, unchanged.
    pub fn classify(error: DieselError) -> Result<Self, DieselError> {
        match Cause::of(&error) {
            Some(Cause::Lost) => Ok(Self::Lost(error)),
            Some(Cause::Locked) => Ok(Self::Locked(error)),
            None => Err(error),
        }
    }

    /// What a client is told: never the cause, which may quote SQL, hosts or file names.
    pub fn detail(&self) -> &'static str {
        match self {
            Self::Locked(_) => {
                "the database stayed busy with another write for too long; retry shortly"
            }
            _ => "the database is unavailable; retry shortly",
        }
    }

    /// Seconds after which a retry may succeed: a lock is soon released, a restarting
    /// database takes longer.
    pub fn retry_after_seconds(&self) -> u64 {
        match self {
            Self::Locked(_) => 1,
            _ => 5,
        }
    }
}

enum Cause {
    Lost,
    Locked,
}

impl Cause {
    fn of(error: &DieselError) -> Option<Self> {
        match error {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Some(Self::Lost),
            // SQLite's messages for SQLITE_BUSY and SQLITE_LOCKED: diesel keeps no code.
            DieselError::DatabaseError(_, info)
                if ["database is locked", "database table is locked"]
                    .iter()
                    .any(|m| info.message().starts_with(m)) =>
            {
                Some(Self::Locked)
            }
            DieselError::RollbackErrorOnCommit {
                rollback_error,
                commit_error,
            } => Self::of(commit_error).or_else(|| Self::of(rollback_error)),
            _ => None,
        }
    }
}

/// How a pool is built.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Connections held at most.
    pub size: u32,
    /// How long a request waits for a free connection while the database is reachable.
    pub connection_timeout: Duration,
    /// Open every connection before returning, failing when the database cannot be reached;
    /// else connect on first use.
    pub connect_at_start: bool,
    /// On PostgreSQL, no statement runs longer than this.
    pub statement_timeout: Option<Duration>,
    /// How long after a PostgreSQL connection was last handed out the pool hands it out
    /// again without a ping.
    pub trusted_for: Duration,
}

impl PoolSettings {
    /// `size` connections, opened at start, waited for up to 5 s.
    pub fn new(size: u32) -> Self {
        Self {
            size,
            connection_timeout: Duration::from_secs(5),
            connect_at_start: true,
            statement_timeout: None,
            trusted_for: TRUSTED_FOR,
        }
    }
}

/// A pool of connections to one database that fails fast while the database is unreachable.
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<ConnectionManager>,
    reachability: Arc<Reachability>,
    /// Opens connections as the pool's own are opened, for work that holds one apart.
    manager: ConnectionManager,
    /// See [`PoolSettings::trusted_for`].
    trusted_for: Duration,
}

impl fmt::Debug for DbPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbPool")
            .field("state", &self.pool.state())
            .field("outage", &self.reachability.outage())
            .finish()
    }
}

impl DbPool {
    /// A connection that answers: a PostgreSQL connection is pinged first unless it was
    /// handed out within [`PoolSettings::trusted_for`]. Waits up to the connection
    /// timeout for one to be free; but while the database is unreachable, answers at once: a
    /// free connection that still answers, or [`Unavailable::Unreachable`].
    pub fn get(&self) -> Result<PooledConnection, Unavailable> {
        self.get_planned(Plans::Chosen)
    }

    /// [`DbPool::get`], for work whose statements PostgreSQL is to plan as `plans` says.
    pub fn get_planned(&self, plans: Plans) -> Result<PooledConnection, Unavailable> {
        let deadline = Instant::now() + self.pool.connection_timeout();
        loop {
            if let Some(outage) = self.reachability.outage() {
                return (self.try_get_planned(plans)).ok_or(Unavailable::Unreachable(outage));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.pool.get_timeout(left.min(WAIT_SLICE)) {
                Ok(conn) => {
                    if let Some(conn) = self.checked(conn, plans) {
                        return Ok(conn);
                    }
                }
                Err(error) if left <= WAIT_SLICE => return Err(Unavailable::Timeout(error)),
                Err(_) => {}
            }
        }
    }

    /// A free connection that answers, at once, without a wait or a new connection; `None`
    /// when none is idle.
    pub fn try_get(&self) -> Option<PooledConnection> {
        self.try_get_planned(Plans::Chosen)
    }

    /// [`DbPool::try_get`], for work whose statements PostgreSQL is to plan as `plans` says.
    fn try_get_planned(&self, plans: Plans) -> Option<PooledConnection> {
        self.pool
            .try_get()
            .and_then(|conn| self.checked(conn, plans))
    }

    /// `conn`, unless it is a PostgreSQL connection that was handed out last more than
    /// [`PoolSettings::trusted_for`] ago and does not answer a ping: that one is closed. A
    /// SQLite connection is an open file that nothing outside breaks, and is never pinged.
    /// A PostgreSQL connection last set to plan otherwise is set to `plans` first (see
    /// [`super::plans`]).
    fn checked(&self, mut conn: PooledConnection, plans: Plans) -> Option<PooledConnection> {
        if !self.is_postgres() {
            return Some(conn);
        }
        let now = Instant::now();
        let last = PooledConnection::extensions(&conn)
            .get::<HandedOut>()
            .copied();
        let trusted = last.is_some_and(|HandedOut(at)| now.duration_since(at) < self.trusted_for);
        if !trusted && ping(&mut conn).is_err() {
            // Broken by the failed ping, it is closed as it goes back.
            return None;
        }
        let set = PooledConnection::extensions(&conn).get::<Plans>().copied();
        if set.unwrap_or_default() != plans {
            match super::plans::set(&mut conn, plans) {
                Ok(()) => drop(PooledConnection::extensions_mut(&mut conn).insert(plans)),
                // Plans change the speed of statements, never their answers.
                Err(e) => log::warn!("statements will be planned as before, not {plans:?}: {e}"),
            }
        }
        PooledConnection::extensions_mut(&mut conn).insert(HandedOut(now));
        Some(conn)
    }

    /// Since when, and why, the database cannot be reached; `None` while it can.
    pub fn outage(&self) -> Option<Outage> {
        self.reachability.outage()
    }

    /// A new connection outside the pool, prepared like the pool's; a refused attempt counts
    /// as one of the pool's (see [`DbPool::outage`]).
    pub fn open_alone(&self) -> Result<DbConnection, r2d2::Error> {
        self.manager.connect()
    }

    /// How many connections the pool holds at most.
    pub fn size(&self) -> u32 {
        self.pool.max_size()
    }

    /// Whether the database is a PostgreSQL server (else a SQLite file).
    pub fn is_postgres(&self) -> bool {
        matches!(self.manager.url, DatabaseUrl::Postgres(_))
    }

    /// The HTTP workers' own connections to the same PostgreSQL server, set as the pool's are
    /// ([`super::pipelined`]); `None` on SQLite, and for a server reached over TLS.
    pub fn pipelined(&self) -> Option<super::pipelined::Pipelined> {
        match &self.manager.url {
            DatabaseUrl::Postgres(url) => {
                super::pipelined::Pipelined::for_url(url, self.manager.statement_timeout)
            }
            DatabaseUrl::Sqlite(_) => None,
        }
    }
}

/// Opens a pool of `size` connections, failing fast when the database cannot be reached.
pub fn connect(url: &DatabaseUrl, size: u32) -> Result<DbPool, Unavailable> {
    open_pool(url, PoolSettings::new(size))
}

/// Like [`connect`], for the server: on PostgreSQL no statement runs longer than
/// `statement_timeout`, so that the work of a request past its time limit is cancelled and
/// its connection comes back to the pool.
pub fn connect_for_requests(
    url: &DatabaseUrl,
    size: u32,
    statement_timeout: Duration,
) -> Result<DbPool, Unavailable> {
    let settings = PoolSettings {
        statement_timeout: Some(statement_timeout),
        ..PoolSettings::new(size)
    };
    open_pool(url, settings)
}

/// Opens a pool as `settings` say.
pub fn open_pool(url: &DatabaseUrl, settings: PoolSettings) -> Result<DbPool, Unavailable> {
    let manager =
        ConnectionManager::new(url.clone()).with_statement_timeout(settings.statement_timeout);
    let reachability = Arc::clone(&manager.reachability);
    let alone = manager.clone();
    let builder = r2d2::Pool::builder()
        .max_size(settings.size)
        .connection_timeout(settings.connection_timeout)
        // `DbPool::checked` pings, only the connections idle for a while.
        .test_on_check_out(false)
        // Outages are logged once by `Reachability`, not at every attempt to reconnect.
        .error_handler(Box::new(r2d2::NopErrorHandler));
    let pool = if settings.connect_at_start {
        builder.build(manager).map_err(Unavailable::Timeout)?
    } else {
        builder.min_idle(Some(0)).build_unchecked(manager)
    };
    Ok(DbPool {
        pool,
        reachability,
        manager: alone,
        trusted_for: settings.trusted_for,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn lost_connections_and_locks_are_unavailability() {
        let lost = database_error(DatabaseErrorKind::ClosedConnection, "server closed");
        assert!(matches!(
            Unavailable::classify(lost),
            Ok(Unavailable::Lost(_))
        ));
        let unsent = database_error(DatabaseErrorKind::UnableToSendCommand, "no connection");
        assert!(matches!(
            Unavailable::classify(unsent),
            Ok(Unavailable::Lost(_))
        ));
        let locked = database_error(DatabaseErrorKind::Unknown, "database is locked");
        assert!(matches!(
            Unavailable::classify(locked),
            Ok(Unavailable::Locked(_))
        ));
        let commit = DieselError::RollbackErrorOnCommit {
            rollback_error: Box::new(database_error(DatabaseErrorKind::Unknown, "x")),
            commit_error: Box::new(database_error(
                DatabaseErrorKind::ClosedConnection,
                "server closed",
            )),
        };
        assert!(matches!(
            Unavailable::classify(commit),
            Ok(Unavailable::Lost(_))
        ));
    }

    #[test]
    fn other_errors_stay_as_they_are() {
        for error in [
            database_error(DatabaseErrorKind::UniqueViolation, "duplicate key"),
            database_error(DatabaseErrorKind::Unknown, "syntax error near locked"),
            DieselError::NotFound,
        ] {
            assert!(Unavailable::classify(error).is_err());
        }
    }

    #[test]
    fn an_unreachable_database_fails_fast() {
        let url = DatabaseUrl::parse("postgres://nobody@127.0.0.1:9/none");
        let pool = open_pool(
            &url,
            PoolSettings {
                connect_at_start: false,
                ..PoolSettings::new(2)
            },
        )
        .expect("a lazy pool");
        // The first request waits for the first attempt to connect, which is refused at once.
        let Err(first) = pool.get() else {
            panic!("nothing listens on port 9")
        };
        assert!(matches!(first, Unavailable::Unreachable(_)), "{first}");
        assert!(pool.outage().is_some());
        let started = Instant::now();
        let Err(again) = pool.get() else {
            panic!("still unreachable")
        };
        assert!(matches!(again, Unavailable::Unreachable(_)), "{again}");
        // At once, not after the 5 s connection timeout (with room for a loaded machine).
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "answered in {:?}",
            started.elapsed()
        );
    }
}
