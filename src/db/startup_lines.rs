//! Each startup as the whole exports write it (`startup_lines`: its CSV record and NDJSON line
//! in the startup list; `startup_phase_lines`: its rows of the phase history) and as
//! `/startups/{id}` shows it (`startup_items`), and the startups whose lines a write has made
//! stale (`startup_lines_stale`).
//!
//! Triggers keep them true (migrations `…000013_startup_lines`, `…000017_startup_items` and
//! `…000020_history_lines_apart`): any write to a startup or to a row attached to it deletes
//! its lines and names it stale, in the same statement; a write to a row its item shows (its
//! incubators, its sponsors, its metrics and their observations) names it stale, and an item
//! is read only while its startup is not. The HTTP API's `startups::lines` renders them; this
//! module only stores and reads them.

use chrono::NaiveDate;
use diesel::dsl::case_when;
use diesel::prelude::*;

use super::DbConnection;
use super::bulk;
use super::line_chunks::merged_in_key_order;
use super::one_of::one_of;
use super::schema::{startup_items, startup_lines, startup_lines_stale, startup_phase_lines};

/// A startup's lines, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StartupLines {
    pub startup_id: String,
    /// The first day they hold for: the start of its latest phase (`None` without phases).
    pub current_from: Option<NaiveDate>,
    /// Its CSV record in the startup list, CRLF included.
    pub csv: String,
    /// Its NDJSON line in the startup list, newline included.
    pub ndjson: String,
    /// Its CSV records in the phase history, one a phase, CRLF included; empty without phases.
    pub phases_csv: String,
    /// Its NDJSON lines in the phase history.
    pub phases_ndjson: String,
    /// Its JSON document at `/startups/{id}`.
    pub item: String,
}

/// Which of a startup's lines an export reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    StartupCsv,
    StartupNdjson,
    PhasesCsv,
    PhasesNdjson,
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
/// of `rendered` without lines in `lines` is one that no longer exists. Deleting a startup's
/// lines in the list deletes its phase lines too (a trigger of migration `…000020`).
pub fn store(
    conn: &mut DbConnection,
    rendered: &[String],
    lines: &[StartupLines],
) -> QueryResult<()> {
    diesel::delete(startup_lines::table.filter(one_of(startup_lines::startup_id, rendered)))
        .execute(conn)?;
    bulk::insert_startup_lines(conn, lines)?;
    bulk::insert_startup_phase_lines(conn, lines)?;
    diesel::delete(startup_items::table.filter(one_of(startup_items::startup_id, rendered)))
        .execute(conn)?;
    bulk::insert_startup_items(conn, lines)?;
    diesel::delete(
        startup_lines_stale::table.filter(one_of(startup_lines_stale::startup_id, rendered)),
    )
    .execute(conn)?;
    Ok(())
}

/// Startup `id` as `/startups/{id}` shows it on `day`, when its stored item holds then: it
/// has one, its startup is not stale, and `day` is on or after the item's `current_from`.
pub fn item(conn: &mut DbConnection, id: &str, day: NaiveDate) -> QueryResult<Option<String>> {
    item_query(id, day).first(conn).optional()
}

/// [`item`], read on a worker's pipelined connection ([`super::pipelined`]).
pub async fn item_pipelined(
    mut conn: &diesel_async::AsyncPgConnection,
    id: &str,
    day: NaiveDate,
) -> QueryResult<Option<String>> {
    diesel_async::RunQueryDsl::first(item_query(id, day), &mut conn)
        .await
        .optional()
}

/// The statement of [`item`].
#[diesel::dsl::auto_type(no_type_alias)]
fn item_query<'a>(id: &'a str, day: NaiveDate) -> _ {
    let stale: diesel::dsl::Filter<
        startup_lines_stale::table,
        diesel::dsl::Eq<startup_lines_stale::startup_id, &'a str>,
    > = startup_lines_stale::table.filter(startup_lines_stale::startup_id.eq(id));
    startup_items::table
        .filter(startup_items::startup_id.eq(id))
        .filter(
            startup_items::current_from
                .is_null()
                .or(startup_items::current_from.le(day)),
        )
        .filter(diesel::dsl::not(diesel::dsl::exists(stale)))
        .select(startup_items::json)
}

/// Whether a startup's lines in the list hold on `day`: they hold from `current_from` on.
type HoldsOn = diesel::dsl::Or<
    diesel::dsl::IsNull<startup_lines::current_from>,
    diesel::dsl::LtEq<startup_lines::current_from, NaiveDate>,
>;

fn lines_hold_on(day: NaiveDate) -> HoldsOn {
    startup_lines::current_from
        .is_null()
        .or(startup_lines::current_from.le(day))
}

/// The stored JSON line of the startup on the row of the outer query, on `startups`, when it
/// holds on `day` (NULL otherwise): a scalar subquery, by which a page of startups reads each
/// row's line with the row, in one statement.
#[diesel::dsl::auto_type(no_type_alias)]
pub fn line_of_startup(day: NaiveDate) -> _ {
    let holds: HoldsOn = lines_hold_on(day);
    startup_lines::table
        .filter(startup_lines::startup_id.eq(super::schema::startups::id))
        .filter(holds)
        .select(startup_lines::ndjson)
        .single_value()
}

/// Hands `each` up to `limit` startups after the id `after` (from the first when empty: every
/// id sorts after it), in id order, each with its `lines` when it has lines that hold on `day`
/// (any day for the phase history), `None` when it must be rendered from its rows, as the
/// rows arrive. To be run on one snapshot ([`super::read_snapshot`]), so that the lines and the
/// stale ids agree: see [`super::line_chunks`].
pub fn chunk(
    conn: &mut DbConnection,
    lines: Lines,
    day: NaiveDate,
    after: &str,
    limit: i64,
    each: &mut dyn FnMut(String, Option<String>),
) -> QueryResult<()> {
    let (stale, stale_key) = (startup_lines_stale::table, startup_lines_stale::startup_id);
    let (key, history) = (startup_lines::startup_id, startup_phase_lines::startup_id);
    match lines {
        Lines::StartupCsv => {
            let line = case_when(lines_hold_on(day), startup_lines::csv);
            let stored = startup_lines::table.select((key, line));
            merged_in_key_order!(conn, stored, key, stale, stale_key, after, limit, each)
        }
        Lines::StartupNdjson => {
            let line = case_when(lines_hold_on(day), startup_lines::ndjson);
            let stored = startup_lines::table.select((key, line));
            merged_in_key_order!(conn, stored, key, stale, stale_key, after, limit, each)
        }
        // The phase history holds on any day.
        Lines::PhasesCsv => {
            let line = startup_phase_lines::csv.nullable();
            let stored = startup_phase_lines::table.select((history, line));
            merged_in_key_order!(conn, stored, history, stale, stale_key, after, limit, each)
        }
        Lines::PhasesNdjson => {
            let line = startup_phase_lines::ndjson.nullable();
            let stored = startup_phase_lines::table.select((history, line));
            merged_in_key_order!(conn, stored, history, stale, stale_key, after, limit, each)
        }
    }
}
