//! How PostgreSQL plans the kept statements of a request: for the values bound to each run, or
//! once for all values.
//!
//! PostgreSQL plans a kept statement for its values at each of its first five runs, then keeps
//! one generic plan only when that plan's estimated cost is no higher than theirs
//! (`plan_cache_mode = auto`). A page of one incubator's startups in a phase never passes that
//! test: its `LIMIT` is a bound value, which a generic plan takes for a tenth of the rows, so
//! each page was planned anew, and planning took more of PostgreSQL's time than running
//! (`pgbench` ran the page's statement 9.0 thousand times a second planned per run, 22.6
//! thousand with its generic plan; BENCHMARKS.md). Its best plan is the same for every value:
//! one range of `startups_incubator_phase_id`. Other statements' best plans do depend on their
//! values (a range of creation days that keeps a few startups or most of them), and a generic
//! plan made some of them 12 to 105 times slower: those keep PostgreSQL's choice.
//!
//! A request says which it needs ([`Plans`]) when it takes a connection from the pool
//! ([`DbPool::get_planned`](super::DbPool::get_planned)); every other taker gets PostgreSQL's
//! choice. The pool remembers each connection's setting, and sends a new one only when it
//! changes.

use diesel::QueryResult;
use diesel::connection::SimpleConnection;

use super::DbConnection;

/// How the statements of a request are planned on PostgreSQL; SQLite plans each statement once
/// when it is prepared, whatever is asked here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Plans {
    /// PostgreSQL's own choice (its `auto`, unless the server or the role is set otherwise):
    /// the statements whose best plan depends on their values.
    #[default]
    Chosen,
    /// One generic plan per statement (`force_generic_plan`): for requests whose every statement
    /// has the same best plan for all values.
    Generic,
}

impl Plans {
    /// The statement that sets it on a connection.
    pub(crate) fn setting(self) -> &'static str {
        match self {
            Self::Chosen => "RESET plan_cache_mode",
            Self::Generic => "SET plan_cache_mode = force_generic_plan",
        }
    }
}

/// Has PostgreSQL plan the statements of `conn` as `plans` says, from now on: one round trip.
/// [`DbPool::get_planned`](super::DbPool::get_planned) calls it when a connection was last set
/// otherwise.
pub fn set(conn: &mut DbConnection, plans: Plans) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(pg) => pg.batch_execute(plans.setting()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}
