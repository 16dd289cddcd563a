//! The data revision read once for many requests: how PostgreSQL keeps up with SQLite when
//! answers come from the response cache.
//!
//! Every data request reads the revision, so that what it is answered was rendered from the
//! data as it is (see `api::caching` and `api::response_cache`). On SQLite the read is a call
//! into the same process. On PostgreSQL it is a round trip to the server, and taking a pooled
//! connection may be another (the pool pings a connection idle for a while, to notice a restarted
//! server): an answer from memory would spend most of its time waiting on them.
//!
//! So on PostgreSQL the reads are shared. One thread holds a connection of its own and reads
//! the revision whenever requests wait for it; each read answers every request that was
//! waiting when it started. A read still starts after each request it answers arrived, so it
//! sees every write committed before that request: a write is seen by the very next read, on
//! every process, exactly as with a read of its own (this is how replicated stores batch
//! linearizable reads). A request waits at most for the read under way and one more.
//!
//! The thread connects on first use and reconnects after any error; the connection gets no
//! ping, since a failed read is answered at once and the next one reconnects.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use tokio::sync::watch;

use super::revision::Revision;
use super::{DbConnection, DbPool};

/// The longest a request waits for a shared read; past it, it goes on without the revision.
const LONGEST_WAIT: Duration = Duration::from_secs(2);

/// Reads of the data revision shared between the requests that wait at the same time.
///
/// Dropping it stops its thread once the read under way, if any, ends.
pub struct SharedReads {
    inner: Arc<Inner>,
    pool: DbPool,
}

impl std::fmt::Debug for SharedReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedReads")
            .field("reads", &self.reads())
            .finish_non_exhaustive()
    }
}

struct Inner {
    demand: Mutex<Demand>,
    /// Signalled when a request takes a ticket, or when the reads stop.
    asked: Condvar,
    published: watch::Sender<Published>,
}

#[derive(Debug, Default)]
struct Demand {
    /// Tickets handed out so far: the number of the last request that asked.
    tickets: u64,
    /// The reads stop.
    closed: bool,
}

/// The outcome of the last read, and the last ticket it answers.
#[derive(Debug, Clone)]
struct Published {
    answers_up_to: u64,
    revision: Option<Revision>,
    /// Reads done so far.
    reads: u64,
}

impl Inner {
    fn demand(&self) -> MutexGuard<'_, Demand> {
        self.demand.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SharedReads {
    /// Starts the thread that reads the revision for the requests of `pool`'s database, on a
    /// connection it opens as the pool opens its own.
    pub fn start(pool: DbPool) -> std::io::Result<Self> {
        let (published, _) = watch::channel(Published {
            answers_up_to: 0,
            revision: None,
            reads: 0,
        });
        let inner = Arc::new(Inner {
            demand: Mutex::default(),
            asked: Condvar::new(),
            published,
        });
        let reader = Reader {
            inner: Arc::clone(&inner),
            pool: pool.clone(),
            conn: None,
        };
        thread::Builder::new()
            .name("betadata-revision".into())
            .spawn(move || reader.run())?;
        Ok(Self { inner, pool })
    }

    /// The revision as of a read that started after this call: `None` when it could not be
    /// read (the database is unreachable, or the read took too long). The request then goes on
    /// without it, and its own database work finds, and answers, what is wrong.
    pub async fn current(&self) -> Option<Revision> {
        if self.pool.outage().is_some() {
            return None;
        }
        let mut published = self.inner.published.subscribe();
        let ticket = {
            let mut demand = self.inner.demand();
            demand.tickets += 1;
            demand.tickets
        };
        self.inner.asked.notify_one();
        let answered = published.wait_for(|p| p.answers_up_to >= ticket);
        match actix_web::rt::time::timeout(LONGEST_WAIT, answered).await {
            Ok(Ok(published)) => published.revision,
            // The reads stopped, or are stuck on a server that does not answer.
            Ok(Err(_)) | Err(_) => None,
        }
    }

    /// Reads done so far: fewer than the requests served when they share them.
    pub fn reads(&self) -> u64 {
        self.inner.published.borrow().reads
    }
}

impl Drop for SharedReads {
    fn drop(&mut self) {
        self.inner.demand().closed = true;
        self.inner.asked.notify_one();
    }
}

/// The thread's side: waits for tickets, reads, publishes.
struct Reader {
    inner: Arc<Inner>,
    pool: DbPool,
    conn: Option<DbConnection>,
}

impl Reader {
    fn run(mut self) {
        let mut answered = 0;
        let mut reads = 0;
        loop {
            let asked = {
                let mut demand = self.inner.demand();
                while demand.tickets == answered && !demand.closed {
                    demand = self
                        .inner
                        .asked
                        .wait(demand)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if demand.closed {
                    return;
                }
                demand.tickets
            };
            // Every ticket up to `asked` was taken before this read starts.
            let revision = self.read();
            reads += 1;
            answered = asked;
            self.inner.published.send_replace(Published {
                answers_up_to: asked,
                revision,
                reads,
            });
        }
    }

    /// The revision, on this thread's connection (opened when there is none); after an error
    /// the connection is closed, and the next read opens another.
    fn read(&mut self) -> Option<Revision> {
        if self.conn.is_none() {
            match self.pool.open_alone() {
                Ok(conn) => self.conn = Some(conn),
                Err(error) => {
                    log::debug!("revision reads: cannot connect: {error}");
                    return None;
                }
            }
        }
        let conn = self.conn.as_mut()?;
        match Revision::current(conn) {
            Ok(revision) => Some(revision),
            Err(error) => {
                log::debug!("revision reads: read failed, reconnecting next time: {error}");
                self.conn = None;
                None
            }
        }
    }
}
