//! Shares of the connection pool for the requests that cost most, so that they cannot take
//! every connection: whole-collection exports and full-text searches each run a few at a
//! time, and wait for their turn without holding anything; `/health` and ordinary reads keep
//! the rest of the pool.
//!
//! A search ranked in memory from the search index found current takes no turn: it is a short
//! read, as a page is (`api::v1::startups::list`).
//!
//! With the default pool of 8: 2 exports read the database at once, 4 searches, and 2
//! connections are always left to the others. A request that waits longer than the time
//! limit of a request's database work for its turn is answered 503.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api::http::error::ApiError;

/// How many exports may be under way at once, read or still being sent: each holds a
/// temporary file of the whole export until its client has read it (see
/// [`crate::api::http::spill`]), so this bounds the disk that slow clients can hold.
pub const EXPORTS_UNDER_WAY: usize = 64;

/// The turns to take.
#[derive(Debug)]
pub struct Bulkheads {
    exports_reading: Arc<Semaphore>,
    exports_under_way: Arc<Semaphore>,
    searches: Arc<Semaphore>,
}

impl Bulkheads {
    /// The shares of a pool of `size` connections: a quarter for exports, half for searches
    /// (at least one each).
    pub fn for_pool(size: u32) -> Self {
        let share = |divisor: u32| Arc::new(Semaphore::new((size / divisor).max(1) as usize));
        Self {
            exports_reading: share(4),
            exports_under_way: Arc::new(Semaphore::new(EXPORTS_UNDER_WAY)),
            searches: share(2),
        }
    }

    /// A turn to read an export from the database, and its place among those under way
    /// (held until it is sent); 503 when all places are taken, or no turn comes in `patience`.
    pub async fn export(&self, patience: Duration) -> Result<ExportTurn, ApiError> {
        let under_way = Arc::clone(&self.exports_under_way)
            .try_acquire_owned()
            .map_err(|_| busy(patience))?;
        let reading = take(&self.exports_reading, patience).await?;
        Ok(ExportTurn { reading, under_way })
    }

    /// A turn to run a full-text search; 503 when none comes in `patience`.
    pub async fn search(&self, patience: Duration) -> Result<OwnedSemaphorePermit, ApiError> {
        take(&self.searches, patience).await
    }
}

/// An export's turn: `reading` is given back once the database is read, `under_way` once the
/// client has the whole export or is gone.
#[derive(Debug)]
pub struct ExportTurn {
    pub reading: OwnedSemaphorePermit,
    pub under_way: OwnedSemaphorePermit,
}

async fn take(
    semaphore: &Arc<Semaphore>,
    patience: Duration,
) -> Result<OwnedSemaphorePermit, ApiError> {
    match actix_web::rt::time::timeout(patience, Arc::clone(semaphore).acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(busy(patience)),
    }
}

fn busy(patience: Duration) -> ApiError {
    ApiError::TimedOut {
        seconds: patience.as_secs().max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn heavy_requests_leave_connections_to_the_others() {
        let bulkheads = Bulkheads::for_pool(8);
        let patience = Duration::from_millis(10);
        let mut turns = Vec::new();
        for _ in 0..2 {
            turns.push(bulkheads.export(patience).await.expect("a turn").reading);
        }
        for _ in 0..4 {
            turns.push(bulkheads.search(patience).await.expect("a turn"));
        }
        assert!(
            bulkheads.export(patience).await.is_err(),
            "a third export waits"
        );
        assert!(
            bulkheads.search(patience).await.is_err(),
            "a fifth search waits"
        );
        turns.pop();
        assert!(bulkheads.search(patience).await.is_ok(), "its turn comes");
    }

    #[actix_rt::test]
    async fn a_small_pool_still_serves_each_kind() {
        let bulkheads = Bulkheads::for_pool(1);
        let patience = Duration::from_millis(10);
        assert!(bulkheads.export(patience).await.is_ok());
        assert!(bulkheads.search(patience).await.is_ok());
    }
}
