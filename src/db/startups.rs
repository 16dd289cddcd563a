//! Queries on `startups` and the tables that hang off a startup: phase history, sponsors,
//! tags (user types, themes) and events.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::exists;
use diesel::prelude::*;

use super::DbConnection;
use super::bulk;
use super::days::{Day, DayTime, MaybeDay};
use super::keyed::{Keyed, Rewritable};
use super::one_of::one_of;
use super::page::{Page, PageRequest, keyset_pair_order, pair_key};
use super::schema::{
    incubators, startup_events, startup_incubators, startup_phases, startup_sponsors, startup_tags,
    startups,
};
use super::tallies;
use crate::domain::phases::{PhaseSpan, current_until, first_start, latest_position};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = startups, treat_none_as_null = true)]
#[diesel(check_for_backend(super::MultiBackend))]
pub struct Startup {
    pub id: String,
    pub name: String,
    pub pitch: Option<String>,
    pub incubator_id: Option<String>,
    pub link: Option<String>,
    pub repository: Option<String>,
    pub contact: Option<String>,
    pub description: Option<String>,
    /// Start of the first phase; derived from the phase history when it is written.
    #[diesel(deserialize_as = MaybeDay)]
    pub created_on: Option<NaiveDate>,
    #[diesel(deserialize_as = DayTime)]
    pub updated_at: NaiveDateTime,
    /// Phase of the row with the greatest start, and that start; derived from the phase history
    /// when it is written (see [`derive_phase_links`]).
    pub latest_phase_id: Option<String>,
    #[diesel(deserialize_as = MaybeDay)]
    pub latest_phase_start: Option<NaiveDate>,
    /// Where the startup publishes its usage statistics.
    pub stats_url: Option<String>,
    /// Its declared accessibility compliance, e.g. `partiellement conforme`.
    pub accessibility_status: Option<String>,
}

/// A startup's row as a multi-row `INSERT` writes it ([`bulk::insert_startups`]), with the
/// source document kept beside it (`db::sources_kept`), if it has one: an import writes the
/// document with the row rather than updating each new row after.
pub struct NewStartup<'a> {
    pub row: &'a Startup,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = startup_phases)]
pub struct PhaseRow {
    pub startup_id: String,
    /// The row's place in the history, in the source's order from 0; set when the history is
    /// written ([`derive_phase_links`]).
    pub position: i32,
    pub phase_id: String,
    #[diesel(deserialize_as = Day)]
    pub start_date: NaiveDate,
    #[diesel(deserialize_as = MaybeDay)]
    pub end_date: Option<NaiveDate>,
    /// Start of the startup's following phase; derived when the history is written.
    #[diesel(deserialize_as = MaybeDay)]
    pub next_start: Option<NaiveDate>,
}

impl PhaseRow {
    /// The row of one span of startup `startup_id`'s history; `next_start` is derived when the
    /// history is written ([`derive_phase_links`]).
    pub fn of_span(startup_id: &str, span: PhaseSpan) -> Self {
        Self {
            startup_id: startup_id.to_owned(),
            position: 0,
            phase_id: span.phase,
            start_date: span.start,
            end_date: span.end,
            next_start: None,
        }
    }

    /// The span this row records.
    pub fn span(&self) -> PhaseSpan {
        PhaseSpan {
            phase: self.phase_id.clone(),
            start: self.start_date,
            end: self.end_date,
        }
    }
}

/// One of the incubators a startup lists beside its own (co-incubation).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = startup_incubators)]
pub struct CoIncubatorRow {
    pub startup_id: String,
    pub position: i32,
    pub incubator_id: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = startup_sponsors)]
pub struct SponsorRow {
    pub startup_id: String,
    pub organisation_id: String,
}

/// The kinds of free-form labels stored in `startup_tags`.
pub const USERTYPE: &str = "usertype";
pub const THEMATIQUE: &str = "thematique";
pub const TECHNO: &str = "techno";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = startup_tags)]
pub struct TagRow {
    pub startup_id: String,
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = startup_events)]
pub struct EventRow {
    pub startup_id: String,
    pub position: i32,
    pub name: String,
    #[diesel(deserialize_as = Day)]
    pub date: NaiveDate,
    pub comment: Option<String>,
}

/// Everything attached to one startup, in display order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Relations {
    pub phases: Vec<PhaseRow>,
    /// The incubators it lists beside its own (`incubators:` of the content tree), in order.
    pub co_incubators: Vec<String>,
    pub sponsors: Vec<String>,
    pub usertypes: Vec<String>,
    pub thematiques: Vec<String>,
    pub techno: Vec<String>,
    pub events: Vec<EventRow>,
}

/// A startup with everything attached to it, as the seed loader writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct StartupGraph {
    pub startup: Startup,
    pub relations: Relations,
}

/// Keeps the `startup_phases` rows that are current on a day: started by then, and not yet
/// followed by another phase. The one SQL definition of "current phase";
/// [`crate::domain::phases::current_phase`] is its counterpart over rows already loaded. A macro
/// rather than a boxed expression, because diesel's multi-backend queries cannot nest boxed
/// fragments.
///
/// The same rows fall into two disjoint parts, which [`settled_in_phases`] and
/// [`superseded_phase_rows`] read from different indexes:
/// - `next_start IS NULL`: the startup's latest row, current on every day from its start on.
///   A startup whose `latest_phase_start` is on or before the day is in `latest_phase_id`.
/// - `next_start > day`: a row current on a day before the startup's latest start (a past
///   `as_of`, or a phase dated in the future); for today, a handful of rows at most.
macro_rules! current_phase_rows {
    ($day:expr) => {{
        use $crate::db::schema::startup_phases;
        let day = $day;
        startup_phases::start_date.le(day).and(
            startup_phases::next_start
                .is_null()
                .or(startup_phases::next_start.gt(day)),
        )
    }};
}
pub(crate) use current_phase_rows;

/// Keeps, on `startups`, those whose latest phase started on or before `$day` and is one of
/// `$phases` (an `IntoIterator` of ids): they are in that phase on that day. The first part of
/// [`current_phase_rows`]; an index range of `startups_latest_phase` (or, for one incubator,
/// of `startups_incubator_latest_phase`).
macro_rules! settled_in_phases {
    ($day:expr, $phases:expr) => {{
        use $crate::db::schema::startups;
        startups::latest_phase_start
            .le($day)
            .and($crate::db::one_of::one_of(
                startups::latest_phase_id,
                $phases,
            ))
    }};
}
pub(crate) use settled_in_phases;

/// [`settled_in_phases`] on a day by which every latest phase has started: the startups whose
/// latest phase is dated and one of `$phases`. No day is bound, so that PostgreSQL keeps one
/// plan for the statement rather than planning it again for each day.
macro_rules! in_latest_phases {
    ($phases:expr) => {{
        use $crate::db::schema::startups;
        startups::latest_phase_start
            .is_not_null()
            .and($crate::db::one_of::one_of(
                startups::latest_phase_id,
                $phases,
            ))
    }};
}
pub(crate) use in_latest_phases;

/// Keeps, on `startups`, those of incubator `$incubator` (a `String`): its own, and those that
/// list it beside their own (co-incubation). The one SQL definition of "a startup of an
/// incubator".
macro_rules! in_incubator {
    ($incubator:expr) => {{
        use $crate::db::schema::{startup_incubators, startups};
        let incubator: String = $incubator;
        startups::incubator_id.eq(incubator.clone()).or(startups::id
            .eq_any(
                startup_incubators::table
                    .filter(startup_incubators::incubator_id.eq(incubator))
                    .select(startup_incubators::startup_id),
            )
            .nullable())
    }};
}
pub(crate) use in_incubator;

/// Keeps, in a boxed query on `startups` (alone or joined), the startups of incubator
/// `$incubator` (a `String`): by their own column alone when `$co_incubated` is false (no
/// startup is co-incubated by it: the index range every list of an incubator reads), with
/// [`in_incubator`] otherwise. [`Startup::co_incubates`] says which.
macro_rules! filter_incubator {
    ($query:expr, $incubator:expr, $co_incubated:expr) => {{
        use $crate::db::schema::startups;
        let incubator: String = $incubator;
        if $co_incubated {
            $query.filter($crate::db::startups::in_incubator!(incubator))
        } else {
            $query.filter(startups::incubator_id.eq(incubator))
        }
    }};
}
pub(crate) use filter_incubator;

/// Keeps the `startup_phases` rows current on `$day` that are not their startup's latest: those
/// with `start_date <= day < next_start`. The second part of [`current_phase_rows`], disjoint
/// from [`settled_in_phases`]: a startup has such a row exactly when its latest phase starts
/// after the day.
macro_rules! superseded_phase_rows {
    ($day:expr) => {{
        use $crate::db::schema::startup_phases;
        let day = $day;
        startup_phases::start_date
            .le(day)
            .and(startup_phases::next_start.gt(day))
    }};
    // The same rows, with SQLite's planner told that `next_start > day` is rarely true.
    ($day:expr, rare) => {{
        use $crate::db::schema::startup_phases;
        let day = $day;
        startup_phases::start_date
            .le(day)
            .and($crate::db::startups::likelihood(
                startup_phases::next_start.gt(day),
                $crate::db::fixed_sql::fixed_sql::<diesel::sql_types::Double>("0.001"),
            ))
    }};
}
pub(crate) use superseded_phase_rows;

diesel::define_sql_function! {
    /// SQLite's planner hint: `x`, true with probability `y` (a literal, not a bound value).
    fn likelihood(
        x: diesel::sql_types::Nullable<diesel::sql_types::Bool>,
        y: diesel::sql_types::Double,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Bool>;
}

/// Applies [`superseded_phase_rows`] to a boxed query that joins or reads `startup_phases`.
/// These rows are few unless the day is in the past, and walking them from
/// `startup_phases_current` is the best plan even then; SQLite, whose statistics hold no
/// histogram, may rather walk a whole incubator and probe each startup's history, so on
/// SQLite (`$sqlite` true) the condition carries a hint.
macro_rules! filter_superseded {
    ($query:expr, $day:expr, $sqlite:expr) => {{
        let query = $query;
        if $sqlite {
            query.filter($crate::db::startups::superseded_phase_rows!($day, rare))
        } else {
            query.filter($crate::db::startups::superseded_phase_rows!($day))
        }
    }};
}
pub(crate) use filter_superseded;

/// Keeps, in a boxed query on `startup_phases`, the rows of the startups of `incubator` (an
/// `Option<&str>`; all rows when `None`), co-incubated ones too when `$co_incubated`.
macro_rules! phases_in_incubator {
    ($query:expr, $incubator:expr, $co_incubated:expr) => {{
        use $crate::db::schema::{startup_phases, startups};
        let mut query = $query;
        if let Some(incubator) = $incubator {
            query = if $co_incubated {
                query.filter(
                    startup_phases::startup_id.eq_any(
                        startups::table
                            .filter($crate::db::startups::in_incubator!(incubator.to_owned()))
                            .select(startups::id),
                    ),
                )
            } else {
                query.filter(
                    startup_phases::startup_id.eq_any(
                        startups::table
                            .filter(startups::incubator_id.eq(incubator.to_owned()))
                            .select(startups::id),
                    ),
                )
            };
        }
        query
    }};
}
pub(crate) use phases_in_incubator;

impl Startup {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>> {
        startups::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    pub fn exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
        diesel::select(exists(startups::table.find(id))).get_result(conn)
    }

    /// The startups among `ids` that exist, by id.
    pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Self>> {
        startups::table
            .filter(one_of(startups::id, ids))
            .order(startups::id)
            .select(Self::as_select())
            .load(conn)
    }

    /// Whether some startup is co-incubated by `incubator` (lists it beside its own): the
    /// queries of that incubator's startups then read `startup_incubators` too
    /// (`filter_incubator`).
    pub fn co_incubates(conn: &mut DbConnection, incubator: &str) -> QueryResult<bool> {
        diesel::select(co_incubation(incubator.to_owned())).get_result(conn)
    }

    /// The incubators that co-incubate some startup ([`Startup::co_incubates`]), in id order.
    pub fn co_incubating(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
        startup_incubators::table
            .select(startup_incubators::incubator_id)
            .distinct()
            .order(startup_incubators::incubator_id)
            .load(conn)
    }

    /// The latest start of a phase, of all startups: a startup whose latest phase starts after
    /// a day was in an earlier phase on that day, which only its phase history tells. One
    /// probe of `startups_latest_phase_start`, and no value bound: PostgreSQL's plan for it
    /// cannot depend on one (a kept statement asking `EXISTS (… latest_phase_start > $1)`
    /// got a generic plan after five runs, a scan of the whole table: 38 ms).
    pub fn latest_start(conn: &mut DbConnection) -> QueryResult<Option<NaiveDate>> {
        diesel::select(latest_phase_start()).get_result(conn)
    }

    /// [`Startup::co_incubates`] and [`Startup::latest_start`] in one statement, with
    /// [`tallies::in_phases`] of `incubator` when `phases` are given (`None` otherwise).
    pub fn co_incubates_and_latest_start(
        conn: &mut DbConnection,
        incubator: &str,
        phases: Option<&[String]>,
    ) -> QueryResult<(bool, Option<NaiveDate>, Option<i64>)> {
        let co_incubated = co_incubation(incubator.to_owned());
        let latest = latest_phase_start();
        match phases {
            None => diesel::select((co_incubated, latest))
                .get_result(conn)
                .map(|(co, latest)| (co, latest, None)),
            Some(phases) => {
                let tallied = tallies::in_phases_of(incubator.to_owned(), phases.to_vec());
                let (co, latest, tallied): (bool, Option<NaiveDate>, Option<i64>) =
                    diesel::select((co_incubated, latest, tallied)).get_result(conn)?;
                // A sum over no tally is NULL.
                Ok((co, latest, Some(tallied.unwrap_or(0))))
            }
        }
    }

    /// Ids of the startups whose representation names incubator `id`: hosted, or
    /// co-incubated.
    pub fn naming_incubator(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<String>> {
        startups::table
            .filter(in_incubator!(id.to_owned()))
            .select(startups::id)
            .order(startups::id)
            .load(conn)
    }

    /// Ids of the startups that organisation `id` sponsors.
    pub fn sponsored_by(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<String>> {
        startup_sponsors::table
            .filter(startup_sponsors::organisation_id.eq(id))
            .select(startup_sponsors::startup_id)
            .distinct()
            .order(startup_sponsors::startup_id)
            .load(conn)
    }

    pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
        startups::table.count().get_result(conn)
    }

    /// One chunk of a read over the whole portfolio: up to `limit` startups in id order,
    /// strictly after `after` when given, and only those of `incubator` when given (co-incubated ones
    /// too).
    pub fn chunk(
        conn: &mut DbConnection,
        incubator: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut query = startups::table.select(Self::as_select()).into_boxed();
        if let Some(incubator) = incubator {
            let co_incubated = Self::co_incubates(conn, incubator)?;
            query = filter_incubator!(query, incubator.to_owned(), co_incubated);
        }
        if let Some(after) = after {
            query = query.filter(startups::id.gt(after.to_owned()));
        }
        query.order(startups::id).limit(limit).load(conn)
    }

    /// The `limit` startups whose first phase started most recently, by `day` included, each
    /// with its incubator's title: what is new in the portfolio.
    pub fn latest_started(
        conn: &mut DbConnection,
        day: NaiveDate,
        limit: i64,
    ) -> QueryResult<Vec<(Self, Option<String>)>> {
        startups::table
            .left_join(incubators::table)
            .filter(startups::created_on.le(day))
            .order((startups::created_on.desc(), startups::id.asc()))
            .limit(limit)
            .select((Self::as_select(), incubators::title.nullable()))
            .load(conn)
    }

    /// The phase each of the startups `ids` is in on `day`, by startup id; a startup with no
    /// phase started by then is absent. By `current_phase_rows`, the one definition of it.
    pub fn phases_on(
        conn: &mut DbConnection,
        ids: &[String],
        day: NaiveDate,
    ) -> QueryResult<HashMap<String, String>> {
        let rows: Vec<(String, String)> = startup_phases::table
            .filter(one_of(startup_phases::startup_id, ids))
            .filter(current_phase_rows!(day))
            .select((startup_phases::startup_id, startup_phases::phase_id))
            .load(conn)?;
        Ok(rows.into_iter().collect())
    }

    /// Loads the relations of the given startups in one query per table.
    pub fn relations(
        conn: &mut DbConnection,
        ids: &[String],
    ) -> QueryResult<HashMap<String, Relations>> {
        Self::relations_of(conn, RelationsOf::Ids(ids))
    }

    /// Loads the relations of `startups`, in one query per table; each startup among them has
    /// an entry, empty when it has no relation.
    pub fn relations_of(
        conn: &mut DbConnection,
        startups: RelationsOf<'_>,
    ) -> QueryResult<HashMap<String, Relations>> {
        let ids = match startups {
            // Nothing to read: not five round trips for nothing (a page of stored lines).
            RelationsOf::Ids([]) => return Ok(HashMap::new()),
            RelationsOf::Ids(ids) | RelationsOf::Range { ids, .. } => ids,
        };
        let mut by_id: HashMap<String, Relations> = ids
            .iter()
            .map(|id| (id.clone(), Relations::default()))
            .collect();
        let phases = relation_rows!(
            conn,
            startups,
            startup_phases,
            PhaseRow,
            (startup_phases::startup_id, startup_phases::position)
        )?;
        for row in phases {
            entry(&mut by_id, &row.startup_id).phases.push(row);
        }
        let co_incubators = relation_rows!(
            conn,
            startups,
            startup_incubators,
            CoIncubatorRow,
            (startup_incubators::startup_id, startup_incubators::position)
        )?;
        for row in co_incubators {
            entry(&mut by_id, &row.startup_id)
                .co_incubators
                .push(row.incubator_id);
        }
        let sponsors = relation_rows!(
            conn,
            startups,
            startup_sponsors,
            SponsorRow,
            (
                startup_sponsors::startup_id,
                startup_sponsors::organisation_id
            )
        )?;
        for row in sponsors {
            entry(&mut by_id, &row.startup_id)
                .sponsors
                .push(row.organisation_id);
        }
        let tags = relation_rows!(
            conn,
            startups,
            startup_tags,
            TagRow,
            (
                startup_tags::startup_id,
                startup_tags::kind,
                startup_tags::value
            )
        )?;
        for row in tags {
            let relations = entry(&mut by_id, &row.startup_id);
            match row.kind.as_str() {
                USERTYPE => relations.usertypes.push(row.value),
                TECHNO => relations.techno.push(row.value),
                _ => relations.thematiques.push(row.value),
            }
        }
        let events = relation_rows!(
            conn,
            startups,
            startup_events,
            EventRow,
            (startup_events::startup_id, startup_events::position)
        )?;
        for row in events {
            entry(&mut by_id, &row.startup_id).events.push(row);
        }
        Ok(by_id)
    }
}

/// Which startups [`Startup::relations_of`] reads the relations of.
#[derive(Debug, Clone, Copy)]
pub enum RelationsOf<'a> {
    /// Those named: an `IN` list, for a page or a few startups.
    Ids(&'a [String]),
    /// `ids`, which are every startup whose id lies between `first` and `last` (both included,
    /// in the database's order of ids): a chunk of a whole export read in id order with no
    /// filter. Each table is then read in one range scan of its index, by a statement the
    /// connection keeps prepared, rather than by looking up each id of a list.
    Range {
        first: &'a str,
        last: &'a str,
        ids: &'a [String],
    },
}

/// The rows of relation table `$table` for `$startups` ([`RelationsOf`]), in `$order`.
macro_rules! relation_rows {
    ($conn:expr, $startups:expr, $table:ident, $row:ty, $order:expr) => {
        match $startups {
            RelationsOf::Ids(ids) => $table::table
                .filter(one_of($table::startup_id, ids))
                .order($order)
                .select(<$row>::as_select())
                .load::<$row>($conn),
            RelationsOf::Range { first, last, .. } => $table::table
                .filter($table::startup_id.between(first, last))
                .order($order)
                .select(<$row>::as_select())
                .load::<$row>($conn),
        }
    };
}
use relation_rows;

fn entry<'a>(by_id: &'a mut HashMap<String, Relations>, id: &str) -> &'a mut Relations {
    by_id.entry(id.to_owned()).or_default()
}

/// What a startup's own columns derive from its phase history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryDates {
    /// Start of the first phase.
    pub created_on: Option<NaiveDate>,
    /// Phase of the row with the greatest start.
    pub latest_phase_id: Option<String>,
    /// The greatest start.
    pub latest_phase_start: Option<NaiveDate>,
}

impl HistoryDates {
    /// Writes these values into the startup's derived columns.
    pub fn apply(self, startup: &mut Startup) {
        startup.created_on = self.created_on;
        startup.latest_phase_id = self.latest_phase_id;
        startup.latest_phase_start = self.latest_phase_start;
    }
}

/// Fills the columns derived from a phase history, kept in the source's order: each row's
/// `position` and `next_start` (the day it stops being current, [`current_until`]), and the
/// startup's columns it returns (the latest phase by beta.gouv.fr's rule, [`latest_position`]).
/// Every writer of a phase history goes through here, in the transaction that writes the
/// history.
pub fn derive_phase_links(rows: &mut [PhaseRow]) -> HistoryDates {
    let history: Vec<PhaseSpan> = rows.iter().map(PhaseRow::span).collect();
    for (position, (row, until)) in rows.iter_mut().zip(current_until(&history)).enumerate() {
        row.position = i32::try_from(position).unwrap_or(i32::MAX);
        row.next_start = until;
    }
    let latest = latest_position(&history).map(|i| &rows[i]);
    HistoryDates {
        created_on: first_start(&history),
        latest_phase_id: latest.map(|r| r.phase_id.clone()),
        latest_phase_start: latest.map(|r| r.start_date),
    }
}

impl Keyed for StartupGraph {
    fn exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
        Startup::exists(conn, id)
    }

    /// Writes the startup and its relations, with the columns derived from its phase history.
    fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
        Self::insert_many(conn, &[self], |_| None)
    }
}

impl Rewritable for StartupGraph {
    /// Rewrites an existing startup and all its relations (phases, sponsors, tags, events); its
    /// metrics stay.
    fn rewrite(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let (startup, phases) = self.derived_rows();
        diesel::update(startups::table.find(&startup.id))
            .set(&startup)
            .execute(conn)?;
        delete_relations(conn, &startup.id)?;
        let mut rows = RelationRows::default();
        rows.add(self, phases);
        rows.insert(conn)
    }

    /// Deletes a startup and what hangs off it; its metrics must be gone first.
    fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
        Startup::delete(conn, id)
    }
}

impl StartupGraph {
    /// The startups among `ids` that exist, with their relations, by id: a query per table.
    pub fn find_many(
        conn: &mut DbConnection,
        ids: &[String],
    ) -> QueryResult<HashMap<String, Self>> {
        let mut relations = Startup::relations(conn, ids)?;
        Ok((Startup::find_many(conn, ids)?.into_iter())
            .map(|startup| {
                let relations = relations.remove(&startup.id).unwrap_or_default();
                (startup.id.clone(), Self { startup, relations })
            })
            .collect())
    }

    /// Writes many new startups and their relations in a few multi-row statements per table
    /// (an import's path), each startup with the source document `source` gives for its id;
    /// the caller holds the transaction.
    pub fn insert_many(
        conn: &mut DbConnection,
        graphs: &[&Self],
        source: impl Fn(&str) -> Option<String>,
    ) -> QueryResult<()> {
        let mut startups = Vec::with_capacity(graphs.len());
        let mut rows = RelationRows::default();
        for graph in graphs {
            let (startup, phases) = graph.derived_rows();
            rows.add(graph, phases);
            startups.push(startup);
        }
        let new: Vec<NewStartup> = (startups.iter())
            .map(|row| NewStartup {
                row,
                source: source(&row.id),
            })
            .collect();
        bulk::insert_startups(conn, &new)?;
        rows.insert(conn)
    }

    /// The startup row and the phase rows, with the columns derived from the phase history.
    fn derived_rows(&self) -> (Startup, Vec<PhaseRow>) {
        let mut phases = self.relations.phases.clone();
        let mut startup = self.startup.clone();
        derive_phase_links(&mut phases).apply(&mut startup);
        (startup, phases)
    }
}

/// The rows of the tables hanging off startups, gathered to be written together.
#[derive(Default)]
struct RelationRows {
    phases: Vec<PhaseRow>,
    co_incubators: Vec<CoIncubatorRow>,
    sponsors: Vec<SponsorRow>,
    tags: Vec<TagRow>,
    events: Vec<EventRow>,
}

impl RelationRows {
    /// Adds the relations of `graph`, with its phase rows as [`derive_phase_links`] left them.
    fn add(&mut self, graph: &StartupGraph, phases: Vec<PhaseRow>) {
        let id = &graph.startup.id;
        let relations = &graph.relations;
        self.phases.extend(phases);
        let co_incubators = relations.co_incubators.iter().enumerate();
        self.co_incubators.extend(
            co_incubators.map(|(position, incubator_id)| CoIncubatorRow {
                startup_id: id.clone(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
                incubator_id: incubator_id.clone(),
            }),
        );
        self.sponsors
            .extend(relations.sponsors.iter().map(|organisation_id| SponsorRow {
                startup_id: id.clone(),
                organisation_id: organisation_id.clone(),
            }));
        let tags = (relations.usertypes.iter().map(|v| (USERTYPE, v)))
            .chain(relations.thematiques.iter().map(|v| (THEMATIQUE, v)))
            .chain(relations.techno.iter().map(|v| (TECHNO, v)));
        self.tags.extend(tags.map(|(kind, value)| TagRow {
            startup_id: id.clone(),
            kind: kind.to_owned(),
            value: value.clone(),
        }));
        self.events.extend(relations.events.iter().cloned());
    }

    fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
        bulk::insert_startup_phases(conn, &self.phases)?;
        bulk::insert_startup_incubators(conn, &self.co_incubators)?;
        bulk::insert_startup_sponsors(conn, &self.sponsors)?;
        bulk::insert_startup_tags(conn, &self.tags)?;
        bulk::insert_startup_events(conn, &self.events)?;
        Ok(())
    }
}

/// Deletes what hangs off a startup: phases, co-incubators, sponsors, tags and events.
fn delete_relations(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(startup_phases::table.filter(startup_phases::startup_id.eq(id)))
        .execute(conn)?;
    diesel::delete(startup_incubators::table.filter(startup_incubators::startup_id.eq(id)))
        .execute(conn)?;
    diesel::delete(startup_sponsors::table.filter(startup_sponsors::startup_id.eq(id)))
        .execute(conn)?;
    diesel::delete(startup_tags::table.filter(startup_tags::startup_id.eq(id))).execute(conn)?;
    diesel::delete(startup_events::table.filter(startup_events::startup_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

impl Startup {
    /// Deletes a startup and what hangs off it; its metrics must be gone first. The caller holds
    /// the transaction. Returns whether there was such a startup.
    pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
        delete_relations(conn, id)?;
        Ok(diesel::delete(startups::table.find(id)).execute(conn)? > 0)
    }
}

/// Which rows of the phase history a list holds; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub startup: Option<String>,
    pub phase: Option<String>,
}

impl PhaseRow {
    /// A page of the phase history of every startup, by startup then the history's order.
    pub fn page(
        conn: &mut DbConnection,
        filter: &HistoryFilter,
        request: &PageRequest,
    ) -> QueryResult<Page<Self>> {
        let filtered = || {
            let mut query = startup_phases::table.into_boxed();
            if let Some(startup) = &filter.startup {
                query = query.filter(startup_phases::startup_id.eq(startup.clone()));
            }
            if let Some(phase) = &filter.phase {
                query = query.filter(startup_phases::phase_id.eq(phase.clone()));
            }
            query
        };
        let total = request.total(|| filtered().count().get_result(conn))?;
        let position = request.pair_position::<String, i32>()?;
        let query = filtered().select(Self::as_select());
        let rows = keyset_pair_order!(
            query,
            startup_phases::startup_id,
            startup_phases::position,
            position
        )
        .limit(request.limit())
        .load(conn)?;
        Ok(Page::from_rows(request, rows, total, |r| {
            pair_key(&r.startup_id, &r.position)
        }))
    }
}

/// Some startup is co-incubated by `incubator`.
#[diesel::dsl::auto_type]
fn co_incubation(incubator: String) -> _ {
    exists(startup_incubators::table.filter(startup_incubators::incubator_id.eq(incubator)))
}

/// The latest start of a phase, of all startups.
#[diesel::dsl::auto_type(no_type_alias)]
fn latest_phase_start() -> _ {
    let latest: diesel::helper_types::max<startups::latest_phase_start> =
        diesel::dsl::max(startups::latest_phase_start);
    startups::table.select(latest).single_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(start: &str) -> PhaseRow {
        PhaseRow::of_span(
            "s",
            PhaseSpan {
                phase: "p".into(),
                start: start.parse().expect("date"),
                end: None,
            },
        )
    }

    #[test]
    fn phase_links_keep_the_source_order_and_point_to_the_next_later_start() {
        // Out of order, and a same-day tie listed after the phase it ties with.
        let mut rows = vec![
            row("2020-05-01"),
            row("2019-01-01"),
            row("2021-02-03"),
            row("2021-02-03"),
        ];
        rows[0].phase_id = "listed-first".into();
        rows[2].phase_id = "latest".into();
        rows[3].phase_id = "tied".into();
        let derived = derive_phase_links(&mut rows);
        assert_eq!(derived.created_on, "2019-01-01".parse().ok());
        assert_eq!(derived.latest_phase_id.as_deref(), Some("latest"));
        assert_eq!(derived.latest_phase_start, "2021-02-03".parse().ok());
        let links: Vec<(i32, &str, Option<String>)> = rows
            .iter()
            .map(|r| {
                (
                    r.position,
                    r.phase_id.as_str(),
                    r.next_start.map(|d| d.to_string()),
                )
            })
            .collect();
        assert_eq!(
            links,
            vec![
                (0, "listed-first", Some("2021-02-03".into())),
                (1, "p", Some("2020-05-01".into())),
                (2, "latest", None),
                (3, "tied", Some("2021-02-03".into())),
            ]
        );
        assert_eq!(derive_phase_links(&mut []), HistoryDates::default());
    }
}
