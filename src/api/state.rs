//! What every handler shares: the database pool, used off the async workers, and the rate
//! limit of writes.

use std::num::NonZeroU32;
use std::sync::Arc;

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
}

impl AppState {
    /// The state over `pool`, with the default rate limit of writes.
    pub fn new(pool: DbPool) -> Self {
        Self {
            pool,
            write_limit: Arc::new(WriteLimiter::default()),
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
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(ApiError::Unavailable)?;
            work(&mut conn)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task failed: {e}")))?
    }
}

/// Today, the day "current" refers to unless a request says otherwise.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
