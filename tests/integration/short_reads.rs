//! Reads tried on the HTTP worker's thread first (`AppState::short_read`): on SQLite, a read
//! past the budget is interrupted there and run again on the blocking pool, which answers it
//! whole; on PostgreSQL every read goes to the pool, once.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use betadata::api::AppState;
use betadata::api::http::error::ApiError;
use common::both_backends;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// A count to two million: some tens of milliseconds on either backend, far past the budget.
const LONG: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
     WHERE i < 2000000) SELECT CAST(count(*) AS BIGINT) AS n FROM n";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// What `short_read` answers to the statement `sql` (one column `n`), and how many times it
/// ran the read.
async fn counted_read(state: &AppState, sql: &'static str) -> (Result<i64, ApiError>, usize) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let outcome = state
        .short_read(move |conn| {
            counted.fetch_add(1, Ordering::SeqCst);
            diesel::sql_query(sql)
                .get_result::<Count>(conn)
                .map(|c| c.n)
        })
        .await;
    (outcome, runs.load(Ordering::SeqCst))
}

both_backends! {
    fn a_short_read_runs_once(db) {
        let (n, runs) = counted_read(&db.state(), "SELECT CAST(7 AS BIGINT) AS n").await;
        assert_eq!(n.expect("answered"), 7);
        assert_eq!(runs, 1);
    }

    fn a_long_read_is_answered_whole(db) {
        let state = db.state();
        let (n, runs) = counted_read(&state, LONG).await;
        assert_eq!(n.expect("answered"), 2_000_000);
        // Interrupted on the worker's thread, then run whole on the pool (SQLite); on the pool
        // alone (PostgreSQL).
        let expected = if db.pool.is_postgres() { 1 } else { 2 };
        assert_eq!(runs, expected);
        // The interrupted connection went back to the pool fit for the next reads.
        for _ in 0..db.pool.size() {
            let (n, runs) = counted_read(&state, "SELECT CAST(7 AS BIGINT) AS n").await;
            assert_eq!((n.expect("answered"), runs), (7, 1));
        }
    }

    fn a_failing_read_fails_once(db) {
        let (outcome, runs) = counted_read(&db.state(), "SELECT n FROM no_such_table").await;
        assert!(outcome.is_err());
        assert_eq!(runs, 1);
    }
}
