//! On PostgreSQL, the shortest reads sent by the HTTP workers themselves, each worker over a
//! connection of its own on which the reads of its requests are pipelined.
//!
//! A read from the pool is handed to a blocking thread, which sends the statement and sleeps
//! until PostgreSQL answers, then hands the answer back: for one startup, four to six thread
//! switches a request (on two machines), against about one on SQLite, where the same read runs
//! on the worker's thread (BENCHMARKS.md). Here the worker sends the statement on a socket it polls with its other
//! connections, and goes on serving them meanwhile; the reads its requests send while
//! PostgreSQL answers an earlier one queue on the same connection, which PostgreSQL then reads
//! in one go (pipelining, `diesel_async::AsyncPgConnection`).
//!
//! Each read is one statement, which PostgreSQL runs on a snapshot of its own: what the
//! pool's readers see, and a write committed before the request is seen by it.
//!
//! The connection is opened on a worker's first read, and again after a read failed on it. A
//! read it cannot take (no connection yet, or one that could not be opened in the last
//! second) answers `None`: the caller reads from the pool instead, as it would without it. So
//! does a read that failed here: it is run again from the pool, which knows how to report a
//! database out of reach.
//!
//! PostgreSQL plans each statement sent there once, for all values (`Plans::Generic`,
//! [`super::plans`]): only statements whose best plan is the same for all values are sent on
//! it. They are one startup read by its id, a page of one incubator's startups in some
//! phases in id order, a range of an index
//! ([`startup_list::ranged_page_pipelined`](super::startup_list::ranged_page_pipelined)), and
//! today's figures of the whole portfolio, one statement over the tallies and small tables
//! ([`stats::today_pipelined`](super::stats::today_pipelined)).
//!
//! The connection speaks without TLS (`NoTls`): it is opened only to a server on the same
//! machine (a socket, or a loopback address) or with `sslmode=disable` in the URL; any other
//! server is read through the pool, over libpq's TLS.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use super::plans::Plans;

/// How long a worker waits, after it failed to open its connection, before it tries again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Where to open the workers' connections, and how they are set.
#[derive(Debug)]
pub struct Pipelined {
    /// Tells this one's connections apart from others' in the same thread (tests serve several
    /// databases from one process).
    key: u64,
    url: String,
    statement_timeout: Option<Duration>,
    /// Connections opened so far, by every worker.
    opened: AtomicU64,
    /// Reads answered on them so far.
    reads: AtomicU64,
}

/// A worker's connection to one database.
enum Slot {
    /// Being opened: reads go to the pool meanwhile.
    Opening,
    Open(Rc<AsyncPgConnection>),
    /// Could not be opened at that instant.
    Failed(Instant),
}

/// Forgets a connection being opened by a read that was dropped before it was (its client went
/// away): the worker's next read opens one.
struct Opening(u64);

impl Drop for Opening {
    fn drop(&mut self) {
        let _ = SLOTS.try_with(|slots| {
            let mut slots = slots.borrow_mut();
            if matches!(slots.get(&self.0), Some(Slot::Opening)) {
                slots.remove(&self.0);
            }
        });
    }
}

thread_local! {
    static SLOTS: RefCell<HashMap<u64, Slot>> = RefCell::new(HashMap::new());
}

static KEYS: AtomicU64 = AtomicU64::new(0);

impl Pipelined {
    /// Reads for `url`, every statement cancelled past `statement_timeout`, if any; `None`
    /// when `url` names a server that is not on this machine and may be asked to use TLS.
    pub fn for_url(url: &str, statement_timeout: Option<Duration>) -> Option<Self> {
        local_without_tls(url).then(|| Self {
            key: KEYS.fetch_add(1, Ordering::Relaxed),
            url: url.to_owned(),
            statement_timeout,
            opened: AtomicU64::new(0),
            reads: AtomicU64::new(0),
        })
    }

    /// Runs `work` on this worker's connection: `None` when there is none to run it on, or
    /// when it failed there (the connection is then closed, and opened again by a later read).
    pub async fn read<T>(
        &self,
        work: impl AsyncFnOnce(&AsyncPgConnection) -> QueryResult<T>,
    ) -> Option<T> {
        let conn = self.connection().await?;
        match work(conn.as_ref()).await {
            Ok(value) => {
                self.reads.fetch_add(1, Ordering::Relaxed);
                Some(value)
            }
            Err(e) => {
                log::warn!("a pipelined read failed, read again from the pool: {e}");
                // Unless another read of this worker has already opened a new one.
                SLOTS.with_borrow_mut(|slots| {
                    if matches!(slots.get(&self.key), Some(Slot::Open(open)) if Rc::ptr_eq(open, &conn))
                    {
                        slots.remove(&self.key);
                    }
                });
                None
            }
        }
    }

    /// Connections opened so far, by every worker: one a worker, and one more after each read
    /// that failed.
    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// Reads answered so far on the workers' connections.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// This worker's connection: opened on first use.
    async fn connection(&self) -> Option<Rc<AsyncPgConnection>> {
        let open = SLOTS.with_borrow_mut(|slots| match slots.get(&self.key) {
            Some(Slot::Open(conn)) => Err(Some(Rc::clone(conn))),
            Some(Slot::Opening) => Err(None),
            Some(Slot::Failed(at)) if at.elapsed() < RETRY_AFTER => Err(None),
            _ => {
                slots.insert(self.key, Slot::Opening);
                Ok(())
            }
        });
        if let Err(found) = open {
            return found;
        }
        let _opening = Opening(self.key);
        let slot = match self.open().await {
            Ok(conn) => {
                self.opened.fetch_add(1, Ordering::Relaxed);
                Slot::Open(Rc::new(conn))
            }
            Err(e) => {
                log::warn!("no pipelined connection, reads go to the pool: {e}");
                Slot::Failed(Instant::now())
            }
        };
        SLOTS.with_borrow_mut(|slots| {
            let conn = match &slot {
                Slot::Open(conn) => Some(Rc::clone(conn)),
                _ => None,
            };
            slots.insert(self.key, slot);
            conn
        })
    }

    async fn open(&self) -> QueryResult<AsyncPgConnection> {
        let mut conn = AsyncPgConnection::establish(&self.url)
            .await
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
        let mut settings = Plans::Generic.setting().to_owned();
        if let Some(limit) = self.statement_timeout {
            settings = format!("{settings}; {}", super::pool::set_statement_timeout(limit));
        }
        conn.batch_execute(&settings).await?;
        Ok(conn)
    }
}

/// Whether the server `url` names is reached without TLS whatever libpq would do: through a
/// socket, on a loopback address, or with `sslmode=disable`.
fn local_without_tls(url: &str) -> bool {
    let Ok(config) = url.parse::<tokio_postgres::Config>() else {
        return false;
    };
    match config.get_ssl_mode() {
        tokio_postgres::config::SslMode::Disable => return true,
        tokio_postgres::config::SslMode::Require => return false,
        _ => {}
    }
    let hosts = config.get_hosts();
    !hosts.is_empty()
        && hosts.iter().all(|host| match host {
            tokio_postgres::config::Host::Unix(_) => true,
            tokio_postgres::config::Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipelined(url: &str) -> bool {
        Pipelined::for_url(url, None).is_some()
    }

    #[test]
    fn a_server_on_this_machine_is_read_without_tls() {
        assert!(pipelined("postgres://postgres@127.0.0.1:5432/betadata"));
        assert!(pipelined("postgres://postgres@localhost/betadata"));
        assert!(pipelined("postgresql://postgres@[::1]:5432/betadata"));
        assert!(pipelined(
            "postgres://postgres@%2Fvar%2Frun%2Fpostgresql:5432/betadata"
        ));
        assert!(pipelined(
            "postgres://postgres@127.0.0.1/betadata?options=-csearch_path%3Dt_1"
        ));
    }

    #[test]
    fn a_server_elsewhere_or_asked_for_tls_is_read_through_the_pool() {
        assert!(!pipelined("postgres://betadata@db.example.org/betadata"));
        assert!(!pipelined("postgres://betadata@10.0.0.7/betadata"));
        assert!(!pipelined(
            "postgres://postgres@127.0.0.1/betadata?sslmode=require"
        ));
        // Both hosts must be on this machine.
        assert!(!pipelined(
            "postgres://postgres@127.0.0.1,db.example.org/betadata"
        ));
        assert!(!pipelined("not a url"));
    }

    #[test]
    fn a_server_elsewhere_without_tls_is_pipelined_when_the_url_says_so() {
        assert!(pipelined(
            "postgres://betadata@db.example.org/betadata?sslmode=disable"
        ));
    }
}
