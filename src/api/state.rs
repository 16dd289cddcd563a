//! What every handler shares: the database pool, used off the async workers.

use actix_web::web;
use diesel::result::QueryResult;

use crate::db::{DbConnection, DbPool};
use crate::error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
}

impl AppState {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// Runs `work` with a pooled connection on the blocking thread pool.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(ApiError::Unavailable)?;
            work(&mut conn).map_err(ApiError::from)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task failed: {e}")))?
    }
}

/// Today, the day "current" refers to unless a request says otherwise.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
