//! A time budget for SQLite statements, which have no `statement_timeout`: a statement still
//! running past the deadline of the work it belongs to is interrupted (`SQLITE_INTERRUPT`)
//! rather than left to hold its connection, and the CPU, after its request was answered 503.
//!
//! Every SQLite connection the process opens gets a progress handler
//! (`sqlite3_progress_handler`, installed by `sqlite3_auto_extension` since diesel does not
//! give its raw handle). The handler runs on the thread that steps the statement, so the
//! deadline is kept per thread: [`within`] sets it for the work it runs.

use std::cell::Cell;
use std::os::raw::{c_char, c_int, c_void};
use std::sync::Once;
use std::time::Instant;

use libsqlite3_sys as ffi;

/// How many virtual-machine instructions SQLite runs between two looks at the clock: a few
/// microseconds of work, so an interrupted statement stops within a millisecond of its
/// deadline, and reading the clock costs well under 1 % of a query.
const INSTRUCTIONS_BETWEEN_CHECKS: c_int = 4_000;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `work` on this thread with every SQLite statement it runs interrupted at `deadline`.
pub fn within<T>(deadline: Instant, work: impl FnOnce() -> T) -> T {
    /// Puts back the deadline of the enclosing work, also on a panic.
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEADLINE.set(self.0);
        }
    }
    let _restore = Restore(DEADLINE.replace(Some(deadline)));
    work()
}

/// Gives every SQLite connection opened from now on the deadline's progress handler.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // SAFETY: `register` has the signature SQLite calls an auto extension with, and stays
        // valid for the life of the process.
        let status = unsafe { ffi::sqlite3_auto_extension(Some(register)) };
        if status != ffi::SQLITE_OK {
            log::warn!("cannot give SQLite statements a deadline (SQLite error {status})");
        }
    });
}

/// The auto extension: run by SQLite on each new connection, before it is returned.
unsafe extern "C" fn register(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened; the handler takes no argument.
    unsafe {
        ffi::sqlite3_progress_handler(
            db,
            INSTRUCTIONS_BETWEEN_CHECKS,
            Some(past_deadline),
            std::ptr::null_mut(),
        );
    }
    ffi::SQLITE_OK
}

/// The progress handler: non-zero interrupts the statement.
unsafe extern "C" fn past_deadline(_: *mut c_void) -> c_int {
    c_int::from(
        DEADLINE
            .get()
            .is_some_and(|deadline| Instant::now() >= deadline),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use super::*;

    /// A query that counts to a billion: seconds of work.
    const LONG: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
         WHERE i < 1000000000) SELECT count(*) FROM n";

    #[test]
    fn a_statement_past_its_deadline_is_interrupted() {
        install();
        let mut conn = SqliteConnection::establish(":memory:").expect("a connection");
        let started = Instant::now();
        let outcome = within(started + Duration::from_millis(50), || {
            conn.batch_execute(LONG)
        });
        let error = outcome.expect_err("interrupted").to_string();
        assert!(error.contains("interrupt"), "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // Outside any deadline, work runs to its end.
        conn.batch_execute("SELECT 1").expect("no deadline");
    }
}
