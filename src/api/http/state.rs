//! What every handler shares: the database pool, used off the async workers, the rate limit
//! of writes, the clock that says what "today" is, the response cache, and the URL the API is
//! published at.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{HttpMessage, HttpRequest, web};
use chrono::NaiveDate;
use diesel::result::QueryResult;
use diesel_async::AsyncPgConnection;

use crate::api::http::at_revision::AtRevision;
use crate::api::http::bulkheads::Bulkheads;
use crate::api::http::clock::Clock;
use crate::api::http::error::ApiError;
use crate::api::http::public_url::PublicUrl;
use crate::api::http::response_cache::{DEFAULT_BUDGET_MIB, DataVersion, ResponseCache};
use crate::api::http::spool::{self, ExportSpool};
use crate::api::http::write_limit::WriteLimiter;
use crate::db::deadline;
use crate::db::phases::Phase;
use crate::db::pipelined::Pipelined;
use crate::db::plans::Plans;
use crate::db::revision::Revision;
use crate::db::search_index::{SearchIndex, Searcher};
use crate::db::shared_reads::SharedReads;
use crate::db::startup_lines;
use crate::db::startup_list::ListFacts;
use crate::db::{DbConnection, DbPool};

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    /// Writes per minute per token, shared by every worker of this process (and only them:
    /// see [`WriteLimiter`]).
    pub write_limit: Arc<WriteLimiter>,
    /// What "today" is: answers depend on it.
    pub clock: Clock,
    /// Responses rendered at the current data revision, shared by every worker of this process.
    pub cache: Arc<ResponseCache>,
    /// How long the database work of one request may take before the client is answered 503.
    pub query_timeout: Duration,
    /// How long a client may take to send a request body before it is answered 408.
    pub body_timeout: Duration,
    /// What every absolute URL of an answer starts with (see [`crate::api::http::public_url`]).
    pub public_url: PublicUrl,
    /// On PostgreSQL, the revision reads that requests share; `None` on SQLite.
    shared_reads: Option<Arc<SharedReads>>,
    /// On PostgreSQL on the same machine, the workers' own connections, on which the shortest
    /// reads are pipelined; `None` otherwise.
    pipelined: Option<Arc<Pipelined>>,
    /// The shares of the pool that exports and searches may take.
    pub bulkheads: Arc<Bulkheads>,
    /// The search index held in memory; `None` when searches are all ranked by the database.
    pub searcher: Option<Arc<Searcher>>,
    /// The ids of the phases, which filters are checked against, as last read.
    phase_ids: Arc<AtRevision<Arc<[String]>>>,
    /// What shapes the statements of lists of startups, as last read.
    list_facts: Arc<AtRevision<Arc<ListFacts>>>,
    /// The search index, as last found to hold the data of a revision.
    searched: Arc<AtRevision<Arc<SearchIndex>>>,
}

/// How long [`AppState::short_read`] lets a read run on an HTTP worker's thread before it
/// hands it to the blocking pool: some 10 times a filtered page's own time at 100,000 startups.
pub const INLINE_READ_BUDGET: Duration = Duration::from_millis(2);

/// The default of [`AppState::query_timeout`].
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The default of [`AppState::body_timeout`].
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

impl AppState {
    /// The state over `pool`, with the default rate limit of writes, the system's clock and a
    /// response cache of the default budgets (large exports spooled in the temporary directory).
    pub fn new(pool: DbPool) -> Self {
        let shared_reads = pool
            .is_postgres()
            .then(|| SharedReads::start(pool.clone()))
            .and_then(|started| {
                started
                    .inspect_err(|e| log::warn!("revision reads will not be shared: {e}"))
                    .ok()
            })
            .map(Arc::new);
        Self {
            bulkheads: Arc::new(Bulkheads::for_pool(pool.size())),
            searcher: Some(Searcher::new(pool.clone())),
            pipelined: pool.pipelined().map(Arc::new),
            pool,
            shared_reads,
            phase_ids: Arc::default(),
            list_facts: Arc::default(),
            searched: Arc::default(),
            write_limit: Arc::new(WriteLimiter::default()),
            clock: Clock::system(),
            cache: Arc::new(
                ResponseCache::with_mib(DEFAULT_BUDGET_MIB)
                    .with_spool(ExportSpool::in_temp_dir(spool::DEFAULT_BUDGET_MIB)),
            ),
            query_timeout: DEFAULT_QUERY_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            public_url: PublicUrl::default(),
        }
    }

    /// Publishes absolute URLs under `public_url`.
    pub fn with_public_url(self, public_url: PublicUrl) -> Self {
        Self { public_url, ..self }
    }

    /// Answers 503 to a request whose database work takes longer than `limit`.
    pub fn with_query_timeout(self, limit: Duration) -> Self {
        Self {
            query_timeout: limit,
            ..self
        }
    }

    /// Answers 408 to a client that takes longer than `limit` to send a request body.
    pub fn with_body_timeout(self, limit: Duration) -> Self {
        Self {
            body_timeout: limit,
            ..self
        }
    }

    /// Keeps at most `mib` mebibytes of responses in memory, and none on disk; zero keeps none.
    pub fn with_cache_mib(self, mib: u64) -> Self {
        Self {
            cache: Arc::new(ResponseCache::with_mib(mib)),
            ..self
        }
    }

    /// Keeps responses in `cache`.
    pub fn with_cache(self, cache: ResponseCache) -> Self {
        Self {
            cache: Arc::new(cache),
            ..self
        }
    }

    /// Ranks every search by the database, as when the search index has not been read: what
    /// the index's answers are compared with.
    pub fn without_search_index(self) -> Self {
        Self {
            searcher: None,
            ..self
        }
    }

    /// Takes "today" from `clock`.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// Today, the day "current" refers to unless a request says otherwise.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// The data revision, read on every data request; `None` when it cannot be read now (the
    /// request then goes on uncached, and its own database work answers what is wrong).
    ///
    /// On PostgreSQL, by a read shared with the requests waiting at the same time
    /// ([`SharedReads`]). On SQLite, where it is one indexed row in the same process: on the
    /// calling thread with an idle pooled connection, which costs less than the hop to the
    /// blocking pool; on the blocking pool when no connection is idle.
    pub async fn revision(&self) -> Option<Revision> {
        if let Some(shared) = &self.shared_reads {
            return shared.current().await;
        }
        if let Some(mut conn) = self.pool.try_get() {
            return Revision::current(&mut conn).ok();
        }
        self.db(Revision::current).await.ok()
    }

    /// The ids of the phases, in the method's order, at the data revision `req` is answered
    /// at: read once for all the requests at the same revision (a filter on phases checks
    /// its names against them), and at each request when the revision could not be read.
    pub async fn phase_ids(&self, req: &HttpRequest) -> Result<Arc<[String]>, ApiError> {
        self.kept(req, &self.phase_ids, |conn| {
            let phases = Phase::all(conn)?;
            Ok(phases.into_iter().map(|p| p.id).collect())
        })
        .await
    }

    /// What shapes the statements of lists of startups ([`ListFacts`]), at the data revision
    /// `req` is answered at: read once for all the requests at that revision. It spares each
    /// page a statement (on PostgreSQL, a round trip) and chooses how PostgreSQL plans the page
    /// ([`crate::db::startup_list::plans`]).
    pub async fn list_facts(&self, req: &HttpRequest) -> Result<Arc<ListFacts>, ApiError> {
        let read = |conn: &mut DbConnection| ListFacts::read(conn).map(Arc::new);
        self.kept(req, &self.list_facts, read).await
    }

    /// The search index, when a search at the data revision `req` is answered at found it to
    /// hold that revision's data ([`AppState::found_current`]): the searches at that revision
    /// use it without asking the database for the search generation (a round trip on
    /// PostgreSQL). Every write that changes the searched text changes the revision too.
    pub fn search_index_at(&self, req: &HttpRequest) -> Option<Arc<SearchIndex>> {
        revision_of(req).and_then(|r| self.searched.get(r))
    }

    /// Notes that `index` was found to hold the data (by [`Searcher::current`]) by a request
    /// answered at the data revision `req` is.
    pub fn found_current(&self, req: &HttpRequest, index: &Arc<SearchIndex>) {
        if let Some(revision) = revision_of(req) {
            self.searched.put(revision, Arc::clone(index));
        }
    }

    /// The value `kept` holds for the data revision `req` is answered at, or else the one
    /// `read` reads, then kept for that revision; read at each request when the revision could
    /// not be read.
    async fn kept<T, F>(
        &self,
        req: &HttpRequest,
        kept: &AtRevision<T>,
        read: F,
    ) -> Result<T, ApiError>
    where
        T: Clone + Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        let revision = revision_of(req);
        if let Some(value) = revision.and_then(|r| kept.get(r)) {
            return Ok(value);
        }
        let value = self.db(read).await?;
        if let Some(revision) = revision {
            kept.put(revision, value.clone());
        }
        Ok(value)
    }

    /// Allows each token `per_minute` writes a minute, in bursts of as many.
    pub fn with_write_rate(self, per_minute: NonZeroU32) -> Self {
        Self {
            write_limit: Arc::new(WriteLimiter::per_minute(per_minute)),
            ..self
        }
    }

    /// Runs `work`, which reads, with a pooled connection on the blocking thread pool, on one
    /// snapshot of the data (see [`crate::db::read`]).
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        self.db_planned(Plans::Chosen, work).await
    }

    /// [`AppState::db`], its statements planned by PostgreSQL as `plans` says.
    pub async fn db_planned<T, F>(&self, plans: Plans, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        self.pooled(plans, Snapshot::Transaction, work).await
    }

    /// [`AppState::db_planned`], `work` run in a transaction or not as `snapshot` says.
    async fn pooled<T, F>(&self, plans: Plans, snapshot: Snapshot, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        let read = move |conn: &mut DbConnection| snapshot.read(conn, work).map_err(ApiError::from);
        self.run(plans, read).await
    }

    /// Like [`AppState::db`], for a read that is short as a rule, such as a page: on SQLite,
    /// with a pooled connection idle, it runs on the calling thread, which spares it the hop to
    /// the blocking pool and back (a third of a filtered page's time went to that hop, its
    /// thread switches and its timer). It is interrupted there after [`INLINE_READ_BUDGET`],
    /// so that a long read does not hold the HTTP worker and the connections it serves, and
    /// then runs again from the start on the blocking pool, as [`AppState::db`] runs it. A
    /// read changes nothing, so running it twice answers the same.
    pub async fn short_read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        self.short_read_planned(Plans::Chosen, work).await
    }

    /// [`AppState::short_read`], its statements planned by PostgreSQL as `plans` says.
    pub async fn short_read_planned<T, F>(&self, plans: Plans, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        self.short(plans, Snapshot::Transaction, work).await
    }

    /// Like [`AppState::short_read`], for `work` that is one statement: SQLite reads a
    /// statement on one snapshot by itself, so no transaction is opened around it (its `BEGIN`
    /// and `COMMIT` are statements of their own).
    pub async fn short_statement<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        self.short(Plans::Chosen, Snapshot::OfTheStatement, work)
            .await
    }

    /// [`AppState::short_read_planned`], `work` run in a transaction or not as `snapshot` says.
    async fn short<T, F>(&self, plans: Plans, snapshot: Snapshot, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        if !self.pool.is_postgres()
            && let Some(mut conn) = self.pool.try_get()
        {
            let started = Instant::now();
            let budget = INLINE_READ_BUDGET.min(self.query_timeout);
            let outcome = deadline::within(started + budget, || snapshot.read(&mut conn, &work));
            match outcome {
                Ok(value) => return Ok(value),
                // Any failure past the budget may be its interruption: the pool's turn.
                Err(_) if started.elapsed() >= budget => {}
                Err(e) => return Err(ApiError::from(e)),
            }
        }
        self.pooled(plans, snapshot, work).await
    }

    /// The workers' pipelined connections, when reads use them (PostgreSQL on this machine).
    pub fn pipelined(&self) -> Option<&Pipelined> {
        self.pipelined.as_deref()
    }

    /// The item stored for startup `id` while it holds on `day` ([`startup_lines::item`]): on
    /// PostgreSQL read on the worker's pipelined connection when it has one, else as
    /// [`AppState::short_read`] reads.
    pub async fn stored_item(&self, id: &str, day: NaiveDate) -> Result<Option<String>, ApiError> {
        let read = async |conn: &_| startup_lines::item_pipelined(conn, id, day).await;
        if let Some(found) = self.read_pipelined(read).await? {
            return Ok(found);
        }
        let key = id.to_owned();
        self.short_read(move |conn| startup_lines::item(conn, &key, day))
            .await
    }

    /// Runs `work` on the worker's pipelined connection ([`Pipelined::read`]), bounded by
    /// [`AppState::query_timeout`]: `None` when there is none (SQLite, or a server elsewhere),
    /// or when it failed there, for the caller to read from the pool instead.
    pub async fn read_pipelined<T>(
        &self,
        work: impl AsyncFnOnce(&AsyncPgConnection) -> QueryResult<T>,
    ) -> Result<Option<T>, ApiError> {
        let Some(pipelined) = &self.pipelined else {
            return Ok(None);
        };
        let started = Instant::now();
        match actix_web::rt::time::timeout(self.query_timeout, pipelined.read(work)).await {
            Ok(Some(found)) => Ok(Some(found)),
            Ok(None) if started.elapsed() < self.query_timeout => Ok(None),
            _ => Err(ApiError::TimedOut {
                seconds: self.query_timeout.as_secs().max(1),
            }),
        }
    }

    /// Like [`AppState::db`], for work whose failures are already API errors (writes, which
    /// check what they are asked).
    ///
    /// Work that runs past [`AppState::query_timeout`] is answered 503 at the limit. Sync work
    /// cannot be stopped from outside: on PostgreSQL the connection's `statement_timeout`
    /// (see [`crate::db::connect_for_requests`]) cancels the statement, and rolls back a write
    /// with it; on SQLite its progress handler interrupts it at the same limit
    /// ([`crate::db::deadline`]).
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.run(Plans::Chosen, work).await
    }

    /// [`AppState::write`], its statements planned by PostgreSQL as `plans` says.
    async fn run<T, F>(&self, plans: Plans, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let limit = self.query_timeout;
        let started = Instant::now();
        let work = web::block(move || {
            deadline::within(started + limit, || {
                let mut conn = pool.get_planned(plans).map_err(ApiError::Unavailable)?;
                work(&mut conn)
            })
        });
        let timed_out = || ApiError::TimedOut {
            seconds: limit.as_secs().max(1),
        };
        match actix_web::rt::time::timeout(limit, work).await {
            Err(_) => Err(timed_out()),
            Ok(Err(e)) => Err(ApiError::Internal(format!("blocking task failed: {e}"))),
            // A database error at the limit is the statement timeout cancelling the work.
            Ok(Ok(Err(ApiError::Database(cause)))) if started.elapsed() >= limit => {
                log::warn!("database work cancelled at the time limit: {cause}");
                Err(timed_out())
            }
            Ok(Ok(outcome)) => outcome,
        }
    }
}

/// What a read runs in to see one snapshot of the data.
#[derive(Debug, Clone, Copy)]
enum Snapshot {
    /// A read transaction on SQLite ([`crate::db::read`]).
    Transaction,
    /// None: the read is one statement.
    OfTheStatement,
}

impl Snapshot {
    fn read<T>(
        self,
        conn: &mut DbConnection,
        work: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
    ) -> QueryResult<T> {
        match self {
            Self::Transaction => crate::db::read(conn, work),
            Self::OfTheStatement => work(conn),
        }
    }
}

/// The data revision `req` is answered at, when it could be read.
fn revision_of(req: &HttpRequest) -> Option<i64> {
    req.extensions().get::<DataVersion>().map(|v| v.revision)
}

/// Today by the system's clock, for work outside a request (the command line); requests ask
/// [`AppState::today`].
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
