//! What every handler shares: the database pool, used off the async workers, and the rate
//! limit of writes.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use diesel::result::QueryResult;

use super::write_limit::WriteLimiter;
use crate::db::{DbConnection, DbPool};
use crate::error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    /// Writes per minute per token, shared by every worker of this process (and only them:
    /// see [`WriteLimiter`]).
    pub write_limit: Arc<WriteLimiter>,
    /// How long the database work of one request may take before the client is answered 503.
    pub query_timeout: Duration,
    /// How long a client may take to send a request body before it is answered 408.
    pub body_timeout: Duration,
}

/// The default of [`AppState::query_timeout`].
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The default of [`AppState::body_timeout`].
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

impl AppState {
    /// The state over `pool`, with the default rate limit of writes.
    pub fn new(pool: DbPool) -> Self {
        Self {
            pool,
            write_limit: Arc::new(WriteLimiter::default()),
            query_timeout: DEFAULT_QUERY_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
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

    /// Allows each token `per_minute` writes a minute, in bursts of as many.
    pub fn with_write_rate(self, per_minute: NonZeroU32) -> Self {
        Self {
            write_limit: Arc::new(WriteLimiter::per_minute(per_minute)),
            ..self
        }
    }

    /// Runs `work` with a pooled connection on the blocking thread pool.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        self.write(move |conn| work(conn).map_err(ApiError::from))
            .await
    }

    /// Like [`AppState::db`], for work whose failures are already API errors (writes, which
    /// check what they are asked).
    ///
    /// Work that runs past [`AppState::query_timeout`] is answered 503 at the limit. Sync work
    /// cannot be stopped from outside: on PostgreSQL the connection's `statement_timeout`
    /// (see [`crate::db::connect_for_requests`]) cancels the statement, and rolls back a write
    /// with it; on SQLite the work runs to its end, unseen.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let limit = self.query_timeout;
        let started = Instant::now();
        let work = web::block(move || {
            let mut conn = pool.get().map_err(ApiError::Unavailable)?;
            work(&mut conn)
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
            Ok(Ok(Err(ApiError::Database(cause)))) if crate::db::is_busy(&cause) => {
                Err(ApiError::Busy)
            }
            Ok(Ok(outcome)) => outcome,
        }
    }
}

/// Today, the day "current" refers to unless a request says otherwise.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
