//! A [`ranged`] page on SQLite, read as its stored lines in one statement of fixed
//! text: one incubator's startups in some phases, in id order, with the list's total and the
//! data revision the statement saw.
//!
//! The general page ([`super::page`]) builds a boxed diesel statement, whose text diesel writes
//! out again at each request to find its prepared statement (a tenth of a filtered page's CPU
//! at 100,000 startups), opens a transaction to read the facts' revision and the page on one
//! snapshot, and reads each row's sort keys from the table. This statement has a text fixed
//! for each count of phases and side of the cursor, so diesel finds it by a copy of that text;
//! it is one statement, which SQLite reads on one snapshot without a transaction, the revision
//! among its columns; and it reads the ids alone, which `startups_incubator_phase_id` covers.
//!
//! It selects what the general page selects for such a list (`in_order!` with the
//! [`Shape`](super::Shape) that [`ranged`] takes from the facts): `tests/integration/startups.rs`
//! compares the two over every page of a list, both ways.

use chrono::NaiveDate;
use diesel::QueryResult;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};

use super::{ListFacts, Position, Sort, StartupFilter, ranged};
use crate::db::DbConnection;
use crate::db::page::{Direction, Page, PageRequest};

/// The most phases a list names for this statement; a longer list is read as any page is.
const MOST_PHASES: usize = 8;

/// The statement: an incubator's startups in `phases`, after (or before) `position`, with each
/// one's line when it holds on `day`, the tallies' sum, and the data revision.
struct RangedLines<'a> {
    incubator: &'a str,
    phases: &'a [String],
    day: NaiveDate,
    position: Option<(Direction, &'a str)>,
    limit: i64,
}

impl QueryFragment<Sqlite> for RangedLines<'_> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        pass.push_sql(
            "SELECT startups.id, (SELECT startup_lines.ndjson FROM startup_lines \
             WHERE startup_lines.startup_id = startups.id \
             AND (startup_lines.current_from IS NULL OR startup_lines.current_from <= ",
        );
        pass.push_bind_param::<Date, _>(&self.day)?;
        pass.push_sql(
            ")), (SELECT CAST(SUM(incubator_phase_totals.startups) AS BIGINT) \
             FROM incubator_phase_totals WHERE incubator_phase_totals.incubator_id = ",
        );
        pass.push_bind_param::<Text, _>(self.incubator)?;
        pass.push_sql(" AND incubator_phase_totals.latest_phase_id IN (");
        self.walk_phases(pass.reborrow())?;
        pass.push_sql(
            ")), (SELECT data_revision.revision FROM data_revision WHERE data_revision.id = 1) \
             FROM startups WHERE startups.incubator_id = ",
        );
        pass.push_bind_param::<Text, _>(self.incubator)?;
        pass.push_sql(" AND startups.latest_phase_id IN (");
        self.walk_phases(pass.reborrow())?;
        pass.push_sql(") AND startups.latest_phase_start IS NOT NULL");
        let order = match &self.position {
            None => " ORDER BY startups.id ASC LIMIT ",
            Some((Direction::After, id)) => {
                pass.push_sql(" AND startups.id > ");
                pass.push_bind_param::<Text, _>(id)?;
                " ORDER BY startups.id ASC LIMIT "
            }
            Some((Direction::Before, id)) => {
                pass.push_sql(" AND startups.id < ");
                pass.push_bind_param::<Text, _>(id)?;
                " ORDER BY startups.id DESC LIMIT "
            }
        };
        pass.push_sql(order);
        pass.push_bind_param::<BigInt, _>(&self.limit)?;
        Ok(())
    }
}

impl RangedLines<'_> {
    fn walk_phases<'b>(&'b self, mut pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        for (i, phase) in self.phases.iter().enumerate() {
            if i > 0 {
                pass.push_sql(", ");
            }
            pass.push_bind_param::<Text, _>(phase)?;
        }
        Ok(())
    }
}

/// Found in diesel's statement cache by its text, which differs with the count of phases and
/// the cursor's side (as a type, all the statements are one).
impl QueryId for RangedLines<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for RangedLines<'_> {
    type SqlType = (Text, Nullable<Text>, Nullable<BigInt>, BigInt);
}

impl RunQueryDsl<SqliteConnection> for RangedLines<'_> {}

/// The page of `filter` in `sort` as its items' stored lines, when `conn` is SQLite's, the page
/// is [`ranged`] as `facts` say, and the facts hold for the statement's snapshot (it saw the
/// revision they were read at): the one statement is then the whole read, run outside any
/// transaction. `None` otherwise, and when the page has no rows (its total is counted by
/// another statement) or an item without a line that holds on the day (rendered from its
/// rows): the caller reads those as any page.
pub fn lines(
    conn: &mut DbConnection,
    filter: &StartupFilter,
    sort: Sort,
    request: &PageRequest,
    facts: &ListFacts,
) -> QueryResult<Option<Page<String>>> {
    let DbConnection::Sqlite(conn) = conn else {
        return Ok(None);
    };
    let (Some(incubator), false) = (&filter.incubator, sort.descending) else {
        return Ok(None);
    };
    if !ranged(filter, sort, facts) || filter.phases.len() > MOST_PHASES {
        return Ok(None);
    }
    let position = match request.cursor.as_ref().map(|c| (c, sort.position(&c.key))) {
        None => None,
        Some((cursor, Some(Position::Id(id)))) => Some((cursor.direction, id)),
        Some(_) => return Ok(None),
    };
    let statement = RangedLines {
        incubator,
        phases: &filter.phases,
        day: filter.day,
        position: position.as_ref().map(|(side, id)| (*side, id.as_str())),
        limit: request.limit(),
    };
    let rows: Vec<(String, Option<String>, Option<i64>, i64)> = statement.load(conn)?;
    let Some(&(_, _, tally, revision)) = rows.first() else {
        return Ok(None);
    };
    if revision != facts.revision || rows.iter().any(|(_, line, ..)| line.is_none()) {
        return Ok(None);
    }
    let page = Page::from_rows(request, rows, tally.unwrap_or(0), |(id, ..)| {
        sort.key_of_id(id)
    });
    Ok(Some(page.filter_map(|(_, line, ..)| line)))
}
