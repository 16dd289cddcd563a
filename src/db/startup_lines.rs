//! Each startup as a whole export writes it (`startup_lines`: its CSV record and its NDJSON
//! line), and the startups whose lines a write has made stale (`startup_lines_stale`).
//!
//! Triggers keep them true (migration `…000013_startup_lines`): any write to a startup or to a
//! row attached to it deletes its lines and names it stale, in the same statement. The HTTP
//! API's `startups::lines` renders them; this module only stores and reads them.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConnection;
use super::bulk;
use super::one_of::one_of;
use super::schema::{startup_lines, startup_lines_stale, startups};

/// A startup's lines, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StartupLines {
    pub startup_id: String,
    /// The first day they hold for: the start of its latest phase (`None` without phases).
    pub current_from: Option<NaiveDate>,
    /// Its CSV record, CRLF included.
    pub csv: String,
    /// Its NDJSON line, newline included.
    pub ndjson: String,
}

/// Which of a startup's lines an export reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    Csv,
    Ndjson,
}

/// Up to `limit` of the startups whose lines are stale, in id order. A startup that no longer
/// exists may be among them.
pub fn stale(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<String>> {
    startup_lines_stale::table
        .select(startup_lines_stale::startup_id)
        .order(startup_lines_stale::startup_id)
        .limit(limit)
        .load(conn)
}

/// How many startups have stale lines.
pub fn stale_count(conn: &mut DbConnection) -> QueryResult<i64> {
    startup_lines_stale::table.count().get_result(conn)
}

/// Stores `lines` in place of those of the startups `rendered`, and marks those fresh. A startup
/// of `rendered` without lines in `lines` is one that no longer exists.
pub fn store(
    conn: &mut DbConnection,
    rendered: &[String],
    lines: &[StartupLines],
) -> QueryResult<()> {
    diesel::delete(startup_lines::table.filter(one_of(startup_lines::startup_id, rendered)))
        .execute(conn)?;
    bulk::insert_startup_lines(conn, lines)?;
    diesel::delete(
        startup_lines_stale::table.filter(one_of(startup_lines_stale::startup_id, rendered)),
    )
    .execute(conn)?;
    Ok(())
}

/// Up to `limit` startups after `after` (from the first when `None`), in id order, each with
/// its line in `format` when it has lines that hold on `day`; `None` when it must be rendered
/// from its rows. One statement: the ids and the lines are of one snapshot.
pub fn chunk(
    conn: &mut DbConnection,
    format: LineFormat,
    day: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(String, Option<String>)>> {
    let holds = startup_lines::startup_id.eq(startups::id).and(
        startup_lines::current_from
            .is_null()
            .or(startup_lines::current_from.le(day)),
    );
    // Every id is longer than the empty string, which sorts first in every collation.
    let query = startups::table
        .left_join(startup_lines::table.on(holds))
        .filter(startups::id.gt(after.unwrap_or_default()))
        .order(startups::id)
        .limit(limit);
    match format {
        LineFormat::Csv => query
            .select((startups::id, startup_lines::csv.nullable()))
            .load(conn),
        LineFormat::Ndjson => query
            .select((startups::id, startup_lines::ndjson.nullable()))
            .load(conn),
    }
}
