//! Reads tried on the HTTP worker's thread first (`AppState::short_read`): on SQLite, a read
//! past the budget is interrupted there and run again on the blocking pool, which answers it
//! whole; on PostgreSQL every read goes to the pool, once.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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

both_backends! {
    fn a_short_read_runs_once(db) {
        let state = db.state();
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let n = state
            .short_read(move |conn| {
                counted.fetch_add(1, Ordering::SeqCst);
                diesel::sql_query("SELECT CAST(7 AS BIGINT) AS n")
                    .get_result::<Count>(conn)
                    .map(|c| c.n)
            })
            .await
            .expect("answered");
        assert_eq!(n, 7);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    fn a_long_read_is_answered_whole(db) {
        let state = db.state();
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let n = state
            .short_read(move |conn| {
                counted.fetch_add(1, Ordering::SeqCst);
                diesel::sql_query(LONG).get_result::<Count>(conn).map(|c| c.n)
            })
            .await
            .expect("answered");
        assert_eq!(n, 2_000_000);
        // Interrupted on the worker's thread, then run whole on the pool (SQLite); on the pool
        // alone (PostgreSQL).
        let expected = if db.pool.is_postgres() { 1 } else { 2 };
        assert_eq!(runs.load(Ordering::SeqCst), expected);
    }

    fn a_failing_read_fails_once(db) {
        let state = db.state();
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let outcome = state
            .short_read(move |conn| {
                counted.fetch_add(1, Ordering::SeqCst);
                diesel::sql_query("SELECT n FROM no_such_table")
                    .get_result::<Count>(conn)
                    .map(|c| c.n)
            })
            .await;
        assert!(outcome.is_err());
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
