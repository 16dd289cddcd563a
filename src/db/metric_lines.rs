//! Each metric as the whole exports write it (`metric_lines`: its CSV record and NDJSON line in
//! the metric list; `observation_lines`: its observations in both formats), and the metrics
//! whose lines a write has made stale (`metric_lines_stale`). The counterpart of
//! [`super::startup_lines`], kept true by the triggers of migrations `…000015_metric_lines` and
//! `…000020_history_lines_apart`; the HTTP API's `metrics::lines` renders them.

use diesel::prelude::*;

use super::DbConnection;
use super::bulk;
use super::line_chunks::merged_in_key_order;
use super::one_of::one_of;
use super::schema::{metric_lines, metric_lines_stale, observation_lines};

/// A metric's lines, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLines {
    pub metric_id: String,
    /// Its CSV record in the metric list, CRLF included.
    pub csv: String,
    /// Its NDJSON line in the metric list, newline included.
    pub ndjson: String,
    /// Its observations' CSV records, one each, CRLF included; empty without observations.
    pub observations_csv: String,
    /// Its observations' NDJSON lines.
    pub observations_ndjson: String,
}

/// Which of a metric's lines an export reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    MetricCsv,
    MetricNdjson,
    ObservationsCsv,
    ObservationsNdjson,
}

/// Up to `limit` of the metrics whose lines are stale, in id order. A metric that no longer
/// exists may be among them.
pub fn stale(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<String>> {
    metric_lines_stale::table
        .select(metric_lines_stale::metric_id)
        .order(metric_lines_stale::metric_id)
        .limit(limit)
        .load(conn)
}

/// How many metrics have stale lines.
pub fn stale_count(conn: &mut DbConnection) -> QueryResult<i64> {
    metric_lines_stale::table.count().get_result(conn)
}

/// Stores `lines` in place of those of the metrics `rendered`, and marks those fresh. A metric
/// of `rendered` without lines in `lines` is one that no longer exists. Deleting a metric's
/// lines in the list deletes its observation lines too (a trigger of migration `…000020`).
pub fn store(
    conn: &mut DbConnection,
    rendered: &[String],
    lines: &[MetricLines],
) -> QueryResult<()> {
    diesel::delete(metric_lines::table.filter(one_of(metric_lines::metric_id, rendered)))
        .execute(conn)?;
    bulk::insert_metric_lines(conn, lines)?;
    bulk::insert_observation_lines(conn, lines)?;
    diesel::delete(
        metric_lines_stale::table.filter(one_of(metric_lines_stale::metric_id, rendered)),
    )
    .execute(conn)?;
    Ok(())
}

/// Hands `each` up to `limit` metrics after the id `after` (from the first when empty: every
/// id sorts after it), in id order, each with its `lines`, or `None` when it must be rendered
/// from its rows, as the rows arrive. To be run on one snapshot ([`super::read_snapshot`]), so
/// that the lines and the stale ids agree: see [`super::line_chunks`].
pub fn chunk(
    conn: &mut DbConnection,
    lines: Lines,
    after: &str,
    limit: i64,
    each: &mut dyn FnMut(String, Option<String>),
) -> QueryResult<()> {
    let (stale, stale_key) = (metric_lines_stale::table, metric_lines_stale::metric_id);
    let (key, observed) = (metric_lines::metric_id, observation_lines::metric_id);
    match lines {
        Lines::MetricCsv => {
            let stored = metric_lines::table.select((key, metric_lines::csv.nullable()));
            merged_in_key_order!(conn, stored, key, stale, stale_key, after, limit, each)
        }
        Lines::MetricNdjson => {
            let stored = metric_lines::table.select((key, metric_lines::ndjson.nullable()));
            merged_in_key_order!(conn, stored, key, stale, stale_key, after, limit, each)
        }
        Lines::ObservationsCsv => {
            let line = observation_lines::csv.nullable();
            let stored = observation_lines::table.select((observed, line));
            merged_in_key_order!(conn, stored, observed, stale, stale_key, after, limit, each)
        }
        Lines::ObservationsNdjson => {
            let line = observation_lines::ndjson.nullable();
            let stored = observation_lines::table.select((observed, line));
            merged_in_key_order!(conn, stored, observed, stale, stale_key, after, limit, each)
        }
    }
}
