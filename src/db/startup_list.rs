//! Listing startups: filters, full-text search, sorts and keyset paging that stays exact under
//! every combination of them.
//!
//! A page position is the sort key of the last row seen plus its id (the tie-breaker), so each
//! sort orders by `(key, id)` and a page continues strictly after (or before) that pair.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::exists;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use super::days::{DayTime, MaybeDay};
use super::fixed_sql::{fixed_around, fixed_sql};
use super::one_of::one_of;
use super::page::{Cursor, Page, PageRequest};
use super::plans::Plans;
use super::ranked::{self, Ranked};
use super::revision::Revision;
use super::schema::{startup_phases, startup_sponsors, startup_tags, startups};
use super::search_index::{Hits, SearchIndex};
use super::startups::{
    Startup, THEMATIQUE, USERTYPE, filter_incubator, filter_superseded, in_latest_phases,
    settled_in_phases, superseded_phase_rows,
};
use super::{DbConnection, MultiBackend, startup_lines, tallies};
use crate::domain::search::Word;

mod one_statement;
pub use one_statement::lines as ranged_lines;

/// Which startups a list holds; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartupFilter {
    /// Keep startups whose phase on `day` is one of these.
    pub phases: Vec<String>,
    pub incubator: Option<String>,
    pub sponsor: Option<String>,
    pub usertype: Option<String>,
    pub thematique: Option<String>,
    /// Bounds on the start of the first phase, both inclusive.
    pub created_after: Option<NaiveDate>,
    pub created_before: Option<NaiveDate>,
    /// Words to search in name, pitch and description.
    pub search: Vec<Word>,
    /// When set, leave out the startups that had not started by then.
    pub started_by: Option<NaiveDate>,
    /// The day `phases` refers to.
    pub day: NaiveDate,
}

impl StartupFilter {
    /// Whether the filter keeps every startup: nothing but the day is set.
    pub fn selects_all(&self) -> bool {
        let Self {
            phases,
            incubator,
            sponsor,
            usertype,
            thematique,
            created_after,
            created_before,
            search,
            started_by,
            day: _,
        } = self;
        phases.is_empty()
            && incubator.is_none()
            && sponsor.is_none()
            && usertype.is_none()
            && thematique.is_none()
            && created_after.is_none()
            && created_before.is_none()
            && search.is_empty()
            && started_by.is_none()
    }

    /// Whether the filter is a search and nothing else: its hits are all its startups.
    fn searches_alone(&self) -> bool {
        let unsearched = Self {
            search: Vec::new(),
            ..self.clone()
        };
        !self.search.is_empty() && unsearched.selects_all()
    }

    /// Whether the startups settled in the filter's phases are counted by the tallies
    /// ([`tallies::settled_in_phases`]): the filter is on phases, and on nothing else but an
    /// incubator that co-incubates no startup (`co_incubated`), as the tallies count a startup
    /// under its host alone.
    fn settled_are_tallied(&self, co_incubated: bool) -> bool {
        let phases_alone = Self {
            phases: Vec::new(),
            incubator: None,
            ..self.clone()
        };
        !self.phases.is_empty()
            && phases_alone.selects_all()
            && !co_incubated
            && self.incubator.as_deref() != Some("")
    }
}

/// What a list is ordered by; the id breaks ties, always ascending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Name,
    /// Start of the first phase; startups with none come after all others.
    Created,
    Updated,
    /// Best match first; only with a search.
    Relevance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// Where a page starts: the sort key of a row already seen, and its id.
#[derive(Debug, Clone, PartialEq)]
enum Position {
    Id(String),
    Name(String, String),
    Created(Option<NaiveDate>, String),
    Updated(NaiveDateTime, String),
    Relevance(f64, String),
}

const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f";

/// What a page of startups is read as: the whole [`Startup`], or its [`StartupKeys`] with its
/// stored line ([`StartupLine`]) when each item of the page is one. Each gives the columns the
/// sorts order by, which the page's cursors hold.
pub trait ListedRow: Sized {
    /// The rows `query` keeps, in its order; `day` is the day the list is of.
    fn load(
        query: StartupQuery<'static>,
        conn: &mut DbConnection,
        day: NaiveDate,
    ) -> QueryResult<Vec<Self>>;
    /// [`ListedRow::load`], each row read with `tallied` (the same for every row): `None`
    /// when no row is kept.
    fn load_tallied(
        query: StartupQuery<'static>,
        conn: &mut DbConnection,
        day: NaiveDate,
        tallied: tallies::in_phases_of,
    ) -> QueryResult<(Vec<Self>, Option<i64>)>;
    fn id(&self) -> &str;
    fn name(&self) -> &str;
    fn created_on(&self) -> Option<NaiveDate>;
    fn updated_at(&self) -> NaiveDateTime;
}

/// A startup's id and the columns the sorts order by: what a page needs of its rows when each
/// item is the startup's stored line. An index can then answer which rows a filter keeps
/// without reading the table for each one it passes over.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = startups)]
#[diesel(check_for_backend(super::MultiBackend, diesel::pg::Pg))]
pub struct StartupKeys {
    pub id: String,
    pub name: String,
    #[diesel(deserialize_as = MaybeDay)]
    pub created_on: Option<NaiveDate>,
    #[diesel(deserialize_as = DayTime)]
    pub updated_at: NaiveDateTime,
}

impl ListedRow for Startup {
    fn load(
        query: StartupQuery<'static>,
        conn: &mut DbConnection,
        _: NaiveDate,
    ) -> QueryResult<Vec<Self>> {
        query.select(Startup::as_select()).load(conn)
    }
    fn load_tallied(
        query: StartupQuery<'static>,
        conn: &mut DbConnection,
        _: NaiveDate,
        tallied: tallies::in_phases_of,
    ) -> QueryResult<(Vec<Self>, Option<i64>)> {
        let rows: Vec<(Startup, Option<i64>)> =
            query.select((Startup::as_select(), tallied)).load(conn)?;
        Ok(with_tally(rows))
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn created_on(&self) -> Option<NaiveDate> {
        self.created_on
    }
    fn updated_at(&self) -> NaiveDateTime {
        self.updated_at
    }
}

impl From<&Startup> for StartupKeys {
    fn from(row: &Startup) -> Self {
        Self {
            id: row.id.clone(),
            name: row.name.clone(),
            created_on: row.created_on,
            updated_at: row.updated_at,
        }
    }
}

/// A startup's [`StartupKeys`] and its stored JSON line when that holds on the list's day:
/// both read in one statement, the line by a scalar subquery
/// ([`startup_lines::line_of_startup`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StartupLine {
    pub keys: StartupKeys,
    pub line: Option<String>,
}

impl ListedRow for StartupLine {
    fn load(
        query: StartupQuery<'static>,
        conn: &mut DbConnection,
        day: NaiveDate,
    ) -> QueryResult<Vec<Self>> {
        let rows: Vec<(StartupKeys, Option<String>)> = query
            .select((
                StartupKeys::as_select(),
                startup_lines::line_of_startup(day),
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(keys, line)| Self { keys, line })
            .collect())
    }
    fn load_tallied(
        query: StartupQuery<'static>,
        conn: &mut DbConnection,
        day: NaiveDate,
        tallied: tallies::in_phases_of,
    ) -> QueryResult<(Vec<Self>, Option<i64>)> {
        let rows = query
            .select((
                StartupKeys::as_select(),
                startup_lines::line_of_startup(day),
                tallied,
            ))
            .load(conn)?;
        Ok(Self::with_tally(rows))
    }
    fn id(&self) -> &str {
        &self.keys.id
    }
    fn name(&self) -> &str {
        &self.keys.name
    }
    fn created_on(&self) -> Option<NaiveDate> {
        self.keys.created_on
    }
    fn updated_at(&self) -> NaiveDateTime {
        self.keys.updated_at
    }
}

impl StartupLine {
    /// The rows of a statement that read each startup's keys, line and a tally, and that
    /// tally ([`with_tally`]).
    fn with_tally(
        rows: Vec<(StartupKeys, Option<String>, Option<i64>)>,
    ) -> (Vec<Self>, Option<i64>) {
        let rows = rows
            .into_iter()
            .map(|(keys, line, tally)| (Self { keys, line }, tally));
        with_tally(rows.collect())
    }
}

/// The rows of a statement that read a tally with each of them, and that tally: `None` when
/// there is no row; 0 when no tally counts them (a sum over no row is NULL).
fn with_tally<R>(rows: Vec<(R, Option<i64>)>) -> (Vec<R>, Option<i64>) {
    let tally = rows.first().map(|(_, tally)| tally.unwrap_or(0));
    (rows.into_iter().map(|(row, _)| row).collect(), tally)
}

impl Sort {
    /// The cursor key of `row` under this sort: the sort key and the id, as a JSON pair.
    pub fn key_of(self, row: &impl ListedRow, rank: Option<f64>) -> String {
        let key = match self.key {
            SortKey::Id => serde_json::Value::Null,
            SortKey::Name => row.name().into(),
            SortKey::Created => row.created_on().map(|d| d.to_string()).into(),
            SortKey::Updated => row.updated_at().format(TIMESTAMP_FORMAT).to_string().into(),
            SortKey::Relevance => rank.unwrap_or_default().into(),
        };
        cursor_key(key, row.id())
    }

    /// [`Sort::key_of`] a row of id `id` under the sort by id.
    fn key_of_id(self, id: &str) -> String {
        cursor_key(serde_json::Value::Null, id)
    }

    /// Reads a cursor key made by [`Sort::key_of`] for this same sort; `None` when it was made
    /// for another sort or altered.
    fn position(self, key: &str) -> Option<Position> {
        let (value, id): (serde_json::Value, String) = serde_json::from_str(key).ok()?;
        Some(match (self.key, value) {
            (SortKey::Id, serde_json::Value::Null) => Position::Id(id),
            (SortKey::Name, serde_json::Value::String(name)) => Position::Name(name, id),
            (SortKey::Created, serde_json::Value::Null) => Position::Created(None, id),
            (SortKey::Created, serde_json::Value::String(date)) => {
                Position::Created(Some(date.parse().ok()?), id)
            }
            (SortKey::Updated, serde_json::Value::String(time)) => Position::Updated(
                NaiveDateTime::parse_from_str(&time, TIMESTAMP_FORMAT).ok()?,
                id,
            ),
            (SortKey::Relevance, serde_json::Value::Number(rank)) => {
                Position::Relevance(rank.as_f64()?, id)
            }
            _ => return None,
        })
    }

    /// Whether `cursor` was issued by a list with this sort.
    pub fn accepts(self, cursor: &Cursor) -> bool {
        self.position(&cursor.key).is_some()
    }
}

/// A cursor's key: the sort key and the id, as a JSON pair.
fn cursor_key(key: serde_json::Value, id: &str) -> String {
    serde_json::json!([key, id]).to_string()
}

type StartupQuery<'a> = startups::BoxedQuery<'a, MultiBackend>;

/// Which backend a query is written for, where their search syntax differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn of(conn: &DbConnection) -> Self {
        match conn {
            DbConnection::Sqlite(_) => Self::Sqlite,
            DbConnection::Postgres(_) => Self::Postgres,
        }
    }

    /// The search as the backend's query language: every word required, those marked so as
    /// prefixes.
    fn search_query(self, words: &[Word]) -> String {
        let star = |w: &Word| if w.prefix { "*" } else { "" };
        match self {
            Self::Sqlite => words
                .iter()
                .map(|w| format!("\"{}\"{}", w.text, star(w)))
                .collect::<Vec<_>>()
                .join(" "),
            // The words alone, a prefix ending with `*`: `TSQUERY_OPEN` makes the query of them.
            Self::Postgres => words
                .iter()
                .map(|w| format!("{}{}", w.text, star(w)))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    fn matches_sql(self) -> (&'static str, &'static str) {
        match self {
            Self::Sqlite => (
                "startups.rowid IN (SELECT rowid FROM startups_search WHERE startups_search MATCH ",
                ")",
            ),
            Self::Postgres => (TSQUERY_MATCH_OPEN, TSQUERY_CLOSE),
        }
    }
}

/// The text of `TSQUERY_OPEN`, as a literal, so that `TSQUERY_MATCH_OPEN` is made of it.
macro_rules! tsquery_open {
    () => {
        r"to_tsquery('simple', (SELECT string_agg('''' || replace(replace(rtrim(word, '*'), '\', '\\'), '''', '''''') || '''' || CASE WHEN word LIKE '%*' THEN ':*' ELSE '' END, ' & ') FROM regexp_split_to_table(betadata_unaccent("
    };
}

/// The text of `TSQUERY_CLOSE`, as a literal, so that other texts are made of it.
macro_rules! tsquery_close {
    () => {
        r"), ' ') AS word WHERE word <> ''))"
    };
}

/// The PostgreSQL text-search query of the words bound between `TSQUERY_OPEN` and
/// `TSQUERY_CLOSE`, separated by spaces: each word unaccented, then quoted as a lexeme, made a
/// prefix when it ends with `*` (which no word holds otherwise), all of them required. Quoting comes after unaccenting, for unaccent may turn
/// a letter into punctuation (the modifier letter apostrophe `ʼ` into `'`), which unquoted
/// would break the query's syntax (a 500 found by `tests/integration/security.rs`).
const TSQUERY_OPEN: &str = tsquery_open!();
const TSQUERY_CLOSE: &str = tsquery_close!();
/// `TSQUERY_OPEN`, matched by the search vector of each startup.
const TSQUERY_MATCH_OPEN: &str = concat!("startups.search @@ ", tsquery_open!());

/// Applies every filter but the phase one to a boxed query over `startups` (alone or joined).
macro_rules! other_filters {
    ($query:expr, $filter:expr, $dialect:expr, $co_incubated:expr) => {{
        let filter: &StartupFilter = $filter;
        let mut query = $query;
        if let Some(incubator) = &filter.incubator {
            query = filter_incubator!(query, incubator.clone(), $co_incubated);
        }
        if let Some(sponsor) = &filter.sponsor {
            query = query.filter(
                startups::id.eq_any(
                    startup_sponsors::table
                        .filter(startup_sponsors::organisation_id.eq(sponsor.clone()))
                        .select(startup_sponsors::startup_id),
                ),
            );
        }
        for (kind, value) in [
            (USERTYPE, &filter.usertype),
            (THEMATIQUE, &filter.thematique),
        ] {
            if let Some(value) = value {
                query = query.filter(
                    startups::id.eq_any(
                        startup_tags::table
                            .filter(startup_tags::kind.eq(kind))
                            .filter(startup_tags::value.eq(value.clone()))
                            .select(startup_tags::startup_id),
                    ),
                );
            }
        }
        if let Some(after) = filter.created_after {
            query = query.filter(startups::created_on.ge(after));
        }
        if let Some(before) = filter.created_before {
            query = query.filter(startups::created_on.le(before));
        }
        if let Some(day) = filter.started_by {
            query = query.filter(startups::created_on.le(day));
        }
        if !filter.search.is_empty() {
            let (head, tail) = $dialect.matches_sql();
            query = query.filter(
                $crate::db::fixed_sql::fixed_around::<diesel::sql_types::Bool>(
                    head,
                    $dialect.search_query(&filter.search),
                    tail,
                ),
            );
        }
        query
    }};
}

/// The filtered startups, for reading a page.
///
/// The phase filter is a per-row check, so that a page stops as soon as it is full: a startup
/// whose latest phase started by the day is judged on its own columns; only the others look
/// into their phase history. When there are no others ([`Shape::superseded`]) and the list is
/// one incubator's, the page is a range of `startups_incubator_phase_id`, read in id order
/// and no further than the page. Without an incubator the check stays per row even then: with
/// the phase's columns alone to go by, both planners read the whole phase through
/// `startups_latest_phase` and sort it, where walking the sort's order stops after the page
/// (the first page of the 16,107 startups abandoned in investigation took 20.6 ms on SQLite
/// rather than 0.31 ms).
///
/// A macro, so that the one definition builds the statement for both backends at once
/// ([`MultiBackend`], for the pool's connections) and for PostgreSQL alone (`$backend`: `Pg`,
/// for a worker's pipelined connection, [`super::pipelined`]).
macro_rules! filtered {
    ($backend:ty, $filter:expr, $dialect:expr, $shape:expr) => {{
        let (filter, dialect, shape): (&StartupFilter, Dialect, Shape) =
            ($filter, $dialect, $shape);
        let co_incubated = shape.co_incubated;
        let mut query = startups::table.into_boxed::<$backend>();
        if shape.index_range(filter) {
            query = query.filter(in_latest_phases!(filter.phases.clone()));
        } else if !filter.phases.is_empty() {
            let day = filter.day;
            query = query.filter(
                settled_in_phases!(day, filter.phases.clone()).or(startups::latest_phase_start
                    .gt(day)
                    .and(exists(
                        startup_phases::table
                            .filter(startup_phases::startup_id.eq(startups::id))
                            .filter(superseded_phase_rows!(day))
                            .filter(one_of(startup_phases::phase_id, filter.phases.clone())),
                    ))),
            );
        }
        other_filters!(query, filter, dialect, co_incubated)
    }};
}

/// How many startups pass the filter. With a phase filter, the sum of two disjoint counts
/// (see [`current_phase_rows`](super::startups::current_phase_rows)): the startups settled in
/// one of the phases since their latest start, counted from an index on `startups`; and those
/// whose latest start is after the day, counted from the phase rows current that day that are
/// not the latest, joined to `startups` for the other filters, when there are such startups
/// ([`Shape::superseded`]).
fn count(
    conn: &mut DbConnection,
    filter: &StartupFilter,
    dialect: Dialect,
    shape: Shape,
) -> QueryResult<i64> {
    let co_incubated = shape.co_incubated;
    if filter.phases.is_empty() {
        return other_filters!(
            startups::table.count().into_boxed(),
            filter,
            dialect,
            co_incubated
        )
        .get_result(conn);
    }
    let day = filter.day;
    let phases = filter.phases.clone();
    // Unless the shape says otherwise, every latest phase started by the day: the startups in
    // one of the phases on the day are those whose dated latest phase it is.
    let settled: i64 = match (filter.settled_are_tallied(co_incubated), shape.superseded) {
        (true, true) => {
            let incubator = filter.incubator.as_deref();
            tallies::settled_in_phases(conn, &filter.phases, incubator, day)?
        }
        (true, false) => match shape.tallied {
            Some(tallied) => tallied,
            None => tallies::in_phases(conn, &filter.phases, filter.incubator.as_deref())?,
        },
        (false, superseded) => {
            let settled = startups::table.count().into_boxed();
            let settled = if superseded {
                settled.filter(settled_in_phases!(day, phases))
            } else {
                settled.filter(in_latest_phases!(phases))
            };
            other_filters!(settled, filter, dialect, co_incubated).get_result(conn)?
        }
    };
    if !shape.superseded {
        return Ok(settled);
    }
    let joined = startups::table
        .inner_join(startup_phases::table.on(startup_phases::startup_id.eq(startups::id)))
        .filter(one_of(startup_phases::phase_id, filter.phases.clone()))
        .count()
        .into_boxed();
    let joined = filter_superseded!(joined, day, dialect == Dialect::Sqlite);
    let moving: i64 = other_filters!(joined, filter, dialect, co_incubated).get_result(conn)?;
    Ok(settled + moving)
}

/// Orders `query` by `(key, id)` and keeps the rows on the cursor's side of `(k, i)`.
/// `forward` is the requested order; paging backwards reads in the reverse one.
macro_rules! order_by_pair {
    ($query:expr, $key:expr, $descending:expr, $backwards:expr, $position:expr) => {{
        let mut query = $query;
        // Reading the key ascending: asc forward, or desc backwards.
        let key_ascending = $descending == $backwards;
        // Written `key >= k AND (key > k OR id > i)` rather than `key > k OR (key = k AND
        // id > i)`: the same rows, but a range on the key's index for every planner.
        if let Some((k, i)) = $position {
            query = match (key_ascending, $backwards) {
                (true, false) => {
                    query.filter($key.ge(k.clone()).and($key.gt(k).or(startups::id.gt(i))))
                }
                (true, true) => {
                    query.filter($key.ge(k.clone()).and($key.gt(k).or(startups::id.lt(i))))
                }
                (false, false) => {
                    query.filter($key.le(k.clone()).and($key.lt(k).or(startups::id.gt(i))))
                }
                (false, true) => {
                    query.filter($key.le(k.clone()).and($key.lt(k).or(startups::id.lt(i))))
                }
            };
        }
        match (key_ascending, $backwards) {
            (true, false) => query.order(($key.asc(), startups::id.asc())),
            (true, true) => query.order(($key.asc(), startups::id.desc())),
            (false, false) => query.order(($key.desc(), startups::id.asc())),
            (false, true) => query.order(($key.desc(), startups::id.desc())),
        }
    }};
}

/// Orders by creation date, startups without one last (in both directions), then by id.
macro_rules! order_by_created {
    ($query:expr, $descending:expr, $backwards:expr, $position:expr) => {{
        let (query, descending, backwards) = ($query, $descending, $backwards);
        let position: Option<(Option<NaiveDate>, String)> = $position;
        let dated = startups::created_on.is_not_null();
        // Undated rows form a block after the dated ones, ordered by id; reading backwards, the
        // undated block comes first and ids descend.
        let query = match position {
            None => query,
            Some((None, i)) if !backwards => {
                query.filter(startups::created_on.is_null().and(startups::id.gt(i)))
            }
            Some((None, i)) => query.filter(
                startups::created_on
                    .is_not_null()
                    .or(startups::created_on.is_null().and(startups::id.lt(i))),
            ),
            Some((Some(k), i)) => {
                let undated = startups::created_on.is_null();
                let same_key = startups::created_on.eq(k);
                match (backwards, descending == backwards) {
                    (false, true) => query.filter(
                        undated
                            .or(startups::created_on.gt(k))
                            .or(same_key.and(startups::id.gt(i))),
                    ),
                    (false, false) => query.filter(
                        undated
                            .or(startups::created_on.lt(k))
                            .or(same_key.and(startups::id.gt(i))),
                    ),
                    (true, true) => query.filter(
                        dated.and(
                            startups::created_on
                                .gt(k)
                                .or(same_key.and(startups::id.lt(i))),
                        ),
                    ),
                    (true, false) => query.filter(
                        dated.and(
                            startups::created_on
                                .lt(k)
                                .or(same_key.and(startups::id.lt(i))),
                        ),
                    ),
                }
            }
        };
        let key_ascending = descending == backwards;
        match (backwards, key_ascending) {
            (false, true) => {
                query.order((dated.desc(), startups::created_on.asc(), startups::id.asc()))
            }
            (false, false) => query.order((
                dated.desc(),
                startups::created_on.desc(),
                startups::id.asc(),
            )),
            (true, true) => {
                query.order((dated.asc(), startups::created_on.asc(), startups::id.desc()))
            }
            (true, false) => query.order((
                dated.asc(),
                startups::created_on.desc(),
                startups::id.desc(),
            )),
        }
    }};
}

/// What the data holds that shapes the statements of a list: each case makes them simpler
/// when it does not arise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// The filter names an incubator that co-incubates some startup
    /// ([`Startup::co_incubates`]): its startups are not only those of its own column.
    co_incubated: bool,
    /// The filter names phases, and some startup's latest phase starts after the filter's day
    /// ([`Startup::latest_start`]): such a startup was in an earlier phase that day, which
    /// only its phase history tells. Never the case of today unless a phase is dated in the
    /// future: a page of one incubator's startups in today's phases is then a range of
    /// `startups_incubator_phase_id`, and its total the sum of the tallies.
    superseded: bool,
    /// How many startups of the filter's incubator have one of its phases as their dated
    /// latest phase ([`tallies::in_phases`]), read in the same statement when the list is
    /// counted and the tallies count the filter's startups: the total of the page when no
    /// latest phase starts after the day.
    tallied: Option<i64>,
}

impl Shape {
    /// The shape `facts` give `filter`, without the tallies' sum.
    fn given(filter: &StartupFilter, facts: &ListFacts) -> Self {
        let co_incubated = (filter.incubator.as_deref()).is_some_and(|i| facts.co_incubates(i));
        Self::new(filter, co_incubated, facts.latest_start, None)
    }

    /// The shape of `filter`'s statements when its incubator co-incubates (`co_incubated`) and
    /// the latest start of a phase, of all startups, is `latest_start`.
    fn new(
        filter: &StartupFilter,
        co_incubated: bool,
        latest_start: Option<NaiveDate>,
        tallied: Option<i64>,
    ) -> Self {
        let phased = !filter.phases.is_empty();
        Self {
            co_incubated,
            superseded: phased && latest_start.is_some_and(|start| start > filter.day),
            tallied,
        }
    }

    /// Whether the phase filter is a range of `startups_incubator_phase_id` (see [`filtered`]):
    /// the list is one incubator's startups in some phases, and no latest phase starts after
    /// the day.
    fn index_range(self, filter: &StartupFilter) -> bool {
        !filter.phases.is_empty() && !self.superseded && filter.incubator.is_some()
    }

    /// Whether `filter`'s list is a range of `startups_incubator_phase_id` ([`Shape::index_range`])
    /// and nothing else, its total the sum of the tallies of its incubator's phases.
    fn tallies_total(self, filter: &StartupFilter) -> bool {
        self.index_range(filter) && filter.settled_are_tallied(self.co_incubated)
    }

    /// Whether the shape of `filter`'s statements depends on the data: not when it names neither
    /// an incubator nor phases, whose shape [`Shape::of`] gives without a statement.
    fn read_from_data(filter: &StartupFilter) -> bool {
        filter.incubator.is_some() || !filter.phases.is_empty()
    }

    /// Reads the shape of `filter`'s statements: in one statement when both cases are asked,
    /// with the tallies' sum the total may need when the list is `counted` (a page; not the
    /// chunks of an export, nor a search's hits, which have no total or count it otherwise).
    fn of(conn: &mut DbConnection, filter: &StartupFilter, counted: bool) -> QueryResult<Self> {
        let phased = !filter.phases.is_empty();
        let (co_incubated, latest_start, tallied) = match (&filter.incubator, phased) {
            (None, false) => (false, None, None),
            (Some(incubator), false) => (Startup::co_incubates(conn, incubator)?, None, None),
            (None, true) => (false, Startup::latest_start(conn)?, None),
            (Some(incubator), true) => {
                let tallied = counted && filter.settled_are_tallied(false);
                let phases = tallied.then_some(filter.phases.as_slice());
                Startup::co_incubates_and_latest_start(conn, incubator, phases)?
            }
        };
        Ok(Self::new(filter, co_incubated, latest_start, tallied))
    }
}

/// What the data holds that decides the shape of the lists' statements (`Shape`), for all
/// lists at once: read once per data revision, so that a page need not read it (on SQLite, a
/// tenth of a filtered page's time at 100,000 startups), and to choose how PostgreSQL plans a
/// page ([`plans`]) before the page is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFacts {
    /// The data revision of the snapshot they were read on.
    revision: i64,
    /// The incubators that co-incubate some startup, in id order.
    co_incubating: Vec<String>,
    /// The latest start of a phase, of all startups.
    latest_start: Option<NaiveDate>,
}

impl ListFacts {
    /// Reads the facts; on one snapshot when `conn` is in a read transaction ([`super::read`]).
    pub fn read(conn: &mut DbConnection) -> QueryResult<Self> {
        Ok(Self {
            revision: Revision::current(conn)?.revision,
            co_incubating: Startup::co_incubating(conn)?,
            latest_start: Startup::latest_start(conn)?,
        })
    }

    /// Whether the facts hold for what `conn` reads next. On SQLite, which reads a page on one
    /// snapshot, when they were read at that snapshot's revision: a write in between (which
    /// bumps the revision) may have changed them. On PostgreSQL, always: each statement reads
    /// a snapshot of its own, which a check would not make the facts any closer to.
    fn hold(&self, conn: &mut DbConnection) -> QueryResult<bool> {
        match conn {
            DbConnection::Sqlite(_) => Ok(Revision::current(conn)?.revision == self.revision),
            DbConnection::Postgres(_) => Ok(true),
        }
    }

    fn co_incubates(&self, incubator: &str) -> bool {
        (self.co_incubating)
            .binary_search_by(|id| id.as_str().cmp(incubator))
            .is_ok()
    }
}

/// How PostgreSQL is to plan the statements of a page of `filter` in `sort`, the data being as
/// `facts` say, and the search index current (`indexed`) or not: once for all values
/// ([`super::plans`]) when the best plans are the same for any values, as PostgreSQL chooses
/// otherwise. They are the same:
/// - when the page is a range of `startups_incubator_phase_id` in id order and its total the
///   tallies' sum: for any incubator, phases and position;
/// - when it is a search alone, by relevance, ranked from the index: its rows are then read by
///   id, for any ids. (Planned for the ids it is given, at 1,000 startups, PostgreSQL reads
///   them by a scan of the whole table, which it estimates 2 % cheaper and which takes 4 times
///   as long.)
///
/// A page read when the data no longer is as `facts` say answers the same, planned otherwise.
pub fn plans(filter: &StartupFilter, sort: Sort, facts: &ListFacts, indexed: bool) -> Plans {
    let by_id = indexed && sort.key == SortKey::Relevance && filter.searches_alone();
    match ranged(filter, sort, facts) || by_id {
        true => Plans::Generic,
        false => Plans::Chosen,
    }
}

/// Whether a page of `filter` in `sort` is a range of `startups_incubator_phase_id` in id order
/// whose total is the tallies' sum, the data being as `facts` say: one statement, read with
/// its total, whose best plan is the same for all values ([`plans`]).
pub fn ranged(filter: &StartupFilter, sort: Sort, facts: &ListFacts) -> bool {
    Shape::given(filter, facts).tallies_total(filter) && sort.key == SortKey::Id
}

/// A page of startups, with each row's relevance when the list is a search.
///
/// A search is ranked from `index` when it is given (the search index of the data `conn`
/// sees: [`Searcher::current`](super::search_index::Searcher::current)) and can rank it, by FTS5 or PostgreSQL otherwise: the same
/// page either way.
///
/// `facts`, when given (read once per data revision: [`ListFacts`]) and when they hold for the
/// page's snapshot (`ListFacts::hold`), stand for the statement of the list's `Shape`, and a
/// total that is the tallies' sum is read with the rows: a page of one incubator's startups in
/// some phases is then one statement. Otherwise the shape is read in the page's own snapshot.
pub fn page<R: ListedRow>(
    conn: &mut DbConnection,
    filter: &StartupFilter,
    sort: Sort,
    request: &PageRequest,
    index: Option<&SearchIndex>,
    facts: Option<&ListFacts>,
) -> QueryResult<Page<R>> {
    let dialect = Dialect::of(conn);
    if sort.key == SortKey::Relevance && !filter.search.is_empty() {
        return ranked_page(conn, filter, sort, request, index);
    }
    // The facts are checked only for a shape they spare a statement for.
    let facts = match facts {
        Some(facts) if Shape::read_from_data(filter) && facts.hold(conn)? => Some(facts),
        _ => None,
    };
    let shape = match facts {
        Some(facts) => Shape::given(filter, facts),
        None => Shape::of(conn, filter, true)?,
    };
    let query = in_order(filter, sort, request, shape, dialect);
    // With the facts given, a total that is the tallies' sum is read with the rows.
    let tallied = match &filter.incubator {
        Some(incubator) if facts.is_some() && shape.tallies_total(filter) => Some(
            tallies::in_phases_of(incubator.clone(), filter.phases.clone()),
        ),
        _ => None,
    };
    let (rows, total) = match tallied {
        Some(tallied) => match R::load_tallied(query, conn, filter.day, tallied)? {
            (rows, Some(total)) => (rows, total),
            (rows, None) => (rows, count(conn, filter, dialect, shape)?),
        },
        None => {
            let total = count(conn, filter, dialect, shape)?;
            (R::load(query, conn, filter.day)?, total)
        }
    };
    Ok(Page::from_rows(request, rows, total, |s| {
        sort.key_of(s, None)
    }))
}

/// The rows of one page in reading order, without the total: what an export reads, chunk
/// after chunk. Relevance is not a chunked order: searches read in id order here.
pub fn sorted_rows(
    conn: &mut DbConnection,
    filter: &StartupFilter,
    sort: Sort,
    request: &PageRequest,
) -> QueryResult<Vec<Startup>> {
    let shape = Shape::of(conn, filter, false)?;
    let query = in_order(filter, sort, request, shape, Dialect::of(conn));
    Startup::load(query, conn, filter.day)
}

/// The statement of a page of `filter` in `sort`: [`filtered`] startups, ordered, after (or
/// before) the request's cursor, one row more than the page holds. A macro, as [`filtered`] is.
macro_rules! in_order {
    ($backend:ty, $filter:expr, $sort:expr, $request:expr, $shape:expr, $dialect:expr) => {{
        let (filter, sort, request, shape, dialect): (
            &StartupFilter,
            Sort,
            &PageRequest,
            Shape,
            Dialect,
        ) = ($filter, $sort, $request, $shape, $dialect);
        let backwards = request.backwards();
        let position = request.cursor.as_ref().and_then(|c| sort.position(&c.key));
        let query = filtered!($backend, filter, dialect, shape);
        let desc = sort.descending;
        let query = match (sort.key, position) {
            (SortKey::Name, Some(Position::Name(k, i))) => {
                order_by_pair!(query, startups::name, desc, backwards, Some((k, i)))
            }
            (SortKey::Name, _) => {
                order_by_pair!(
                    query,
                    startups::name,
                    desc,
                    backwards,
                    None::<(String, String)>
                )
            }
            (SortKey::Updated, Some(Position::Updated(k, i))) => {
                order_by_pair!(query, startups::updated_at, desc, backwards, Some((k, i)))
            }
            (SortKey::Updated, _) => order_by_pair!(
                query,
                startups::updated_at,
                desc,
                backwards,
                None::<(NaiveDateTime, String)>
            ),
            (SortKey::Created, Some(Position::Created(k, i))) => {
                order_by_created!(query, desc, backwards, Some((k, i)))
            }
            (SortKey::Created, _) => order_by_created!(query, desc, backwards, None),
            (_, position) => {
                let id = match position {
                    Some(Position::Id(i)) => Some(i),
                    _ => None,
                };
                let query = match (id, backwards) {
                    (Some(i), false) => query.filter(startups::id.gt(i)),
                    (Some(i), true) => query.filter(startups::id.lt(i)),
                    (None, _) => query,
                };
                let ascending = desc == backwards;
                if ascending {
                    query.order(startups::id.asc())
                } else {
                    query.order(startups::id.desc())
                }
            }
        };
        query.limit(request.limit())
    }};
}

/// The statement of one page's rows in reading order, knowing the [`Shape`] of its filter, for
/// the pool's connections ([`in_order!`]).
fn in_order(
    filter: &StartupFilter,
    sort: Sort,
    request: &PageRequest,
    shape: Shape,
    dialect: Dialect,
) -> StartupQuery<'static> {
    in_order!(MultiBackend, filter, sort, request, shape, dialect)
}

/// [`page`] of stored lines ([`StartupLine`]) on a worker's pipelined connection
/// ([`super::pipelined`]), when the page is [`ranged`]: its one statement, built by the same
/// definition as the pool's (`in_order!`) for PostgreSQL alone, reads its rows with its total.
/// `None` for any other page, and for a page without rows, whose total another statement
/// counts: the caller reads those from the pool.
pub async fn ranged_page_pipelined(
    mut conn: &diesel_async::AsyncPgConnection,
    filter: &StartupFilter,
    sort: Sort,
    request: &PageRequest,
    facts: &ListFacts,
) -> QueryResult<Option<Page<StartupLine>>> {
    let Some(incubator) = filter
        .incubator
        .clone()
        .filter(|_| ranged(filter, sort, facts))
    else {
        return Ok(None);
    };
    let shape = Shape::given(filter, facts);
    let query = in_order!(Pg, filter, sort, request, shape, Dialect::Postgres).select((
        StartupKeys::as_select(),
        startup_lines::line_of_startup(filter.day),
        tallies::in_phases_of(incubator, filter.phases.clone()),
    ));
    let rows = diesel_async::RunQueryDsl::load(query, &mut conn).await?;
    Ok(match StartupLine::with_tally(rows) {
        (rows, Some(total)) => Some(Page::from_rows(request, rows, total, |s| {
            sort.key_of(s, None)
        })),
        (_, None) => None,
    })
}

/// A search hit of SQLite: the `rowid` its full-text index knows it by.
#[derive(Debug, QueryableByName)]
struct RowHit {
    #[diesel(sql_type = BigInt)]
    key: i64,
    #[diesel(sql_type = Double)]
    rank: f64,
}

/// A search hit of PostgreSQL: the startup's id.
#[derive(Debug, QueryableByName)]
struct IdHit {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Double)]
    rank: f64,
}

/// Keeps the hits whose key is one of `kept`: those that pass the list's other filters.
fn keep_hits<K: Eq + std::hash::Hash>(
    mut hits: Vec<Ranked<K>>,
    kept: impl Iterator<Item = QueryResult<K>>,
) -> QueryResult<Vec<Ranked<K>>> {
    let kept: std::collections::HashSet<K> = kept.collect::<QueryResult<_>>()?;
    hits.retain(|hit| kept.contains(&hit.key));
    Ok(hits)
}

/// SQLite's hits with their `bm25()`, each column weighted as the search index weighs it.
static BM25_HITS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let [name, pitch, description] = crate::domain::bm25::COLUMN_WEIGHTS;
    format!(
        "SELECT rowid AS key, bm25(startups_search, {name:?}, {pitch:?}, {description:?}) AS rank \
         FROM startups_search WHERE startups_search MATCH ?"
    )
});

/// Every startup matching the search words, with its rank (smaller is better), read from the
/// search index in one pass (ranking row by row inside the main query would re-run the search
/// for each row).
fn search_hits(conn: &mut DbConnection, terms: &[Word]) -> QueryResult<Hits> {
    let query = Dialect::of(conn).search_query(terms);
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(BM25_HITS.as_str())
            .bind::<Text, _>(query)
            .load::<RowHit>(c)
            .map(|hits| {
                let hits = hits.into_iter().map(|h| Ranked {
                    key: h.key,
                    rank: h.rank,
                });
                Hits::Rows(hits.collect())
            }),
        // ts_rank is a real (float4), widened; negated so that smaller is better here too.
        DbConnection::Postgres(c) => diesel::sql_query(format!(
            "SELECT id AS key, -CAST(ts_rank(search, query) AS DOUBLE PRECISION) AS rank \
             FROM startups, (SELECT {TSQUERY_OPEN}$1{TSQUERY_CLOSE} AS query) AS searched \
             WHERE search @@ query"
        ))
        .bind::<Text, _>(query)
        .load::<IdHit>(c)
        .map(|hits| {
            let hits = hits.into_iter().map(|h| Ranked {
                key: h.key,
                rank: h.rank,
            });
            Hits::Ids(hits.collect())
        }),
    }
}

/// The longest word [`plain_tsquery`] writes itself, in bytes; PostgreSQL leaves out of a
/// query the words it cannot index (longer than 2,047 bytes).
const PLAIN_WORD_MAX: usize = 64;

/// [`tsquery_text`] written without asking PostgreSQL, when every word is one it reads as it
/// is: ASCII lowercase letters and digits, which `betadata_unaccent` leaves alone and the
/// `simple` configuration keeps whole, as one lexeme. `None` when any word is another: what
/// PostgreSQL's parser and dictionary make of it is then asked (`tests/integration/
/// search_index.rs` checks that both give the same text).
pub fn plain_tsquery(words: &[Word]) -> Option<String> {
    let plain = |w: &Word| {
        (1..=PLAIN_WORD_MAX).contains(&w.text.len())
            && w.text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if words.is_empty() || !words.iter().all(plain) {
        return None;
    }
    let operands: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'{}", w.text, if w.prefix { ":*" } else { "" }))
        .collect();
    Some(operands.join(" & "))
}

/// PostgreSQL's text of the query of the search words, as `search_hits` matches them. A
/// statement of fixed text, so that it is prepared once per connection rather than parsed and
/// planned at each search (0.26 ms of the 0.84 ms PostgreSQL spent on a search's page).
pub fn tsquery_text(conn: &mut DbConnection, words: &[Word]) -> QueryResult<String> {
    const OPEN: &str = concat!("(", tsquery_open!());
    const CLOSE: &str = concat!(tsquery_close!(), ")::text");
    let query = Dialect::Postgres.search_query(words);
    diesel::select(fixed_around::<Text>(OPEN, query, CLOSE)).get_result(conn)
}

/// The ids of SQLite rows, in the order of `rows`: one statement whatever their number (the
/// rows are bound as one JSON array).
fn ids_of_rows(conn: &mut DbConnection, rows: &[i64]) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct RowId {
        #[diesel(sql_type = BigInt)]
        rowid: i64,
        #[diesel(sql_type = Text)]
        id: String,
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let array = serde_json::to_string(rows).expect("integers serialize");
    let DbConnection::Sqlite(c) = conn else {
        unreachable!("rowids are SQLite's")
    };
    let mut ids: std::collections::HashMap<i64, String> = diesel::sql_query(
        "SELECT rowid, id FROM startups WHERE rowid IN (SELECT value FROM json_each(?))",
    )
    .bind::<Text, _>(array)
    .load::<RowId>(c)?
    .into_iter()
    .map(|r| (r.rowid, r.id))
    .collect();
    // The search index is kept by triggers in the same transactions as `startups`: each of its
    // rows has its startup.
    rows.iter()
        .map(|row| ids.remove(row).ok_or(diesel::result::Error::NotFound))
        .collect()
}

/// A page of search results, best match first: the hits are ranked and positioned in memory
/// ([`ranked::window`]), then the page's rows are read by id.
fn ranked_page<R: ListedRow>(
    conn: &mut DbConnection,
    filter: &StartupFilter,
    sort: Sort,
    request: &PageRequest,
    index: Option<&SearchIndex>,
) -> QueryResult<Page<R>> {
    let indexed = match index {
        Some(index) => index.hits(conn, &filter.search)?,
        None => None,
    };
    let mut hits = match indexed {
        Some(hits) => hits,
        None => search_hits(conn, &filter.search)?,
    };
    if !filter.searches_alone() {
        let shape = Shape::of(conn, filter, false)?;
        let kept = filtered!(MultiBackend, filter, Dialect::of(conn), shape);
        hits = match hits {
            Hits::Rows(hits) => Hits::Rows(keep_hits(
                hits,
                kept.select(fixed_sql::<BigInt>("startups.rowid"))
                    .load_iter::<i64, _>(conn)?,
            )?),
            Hits::Ids(hits) => Hits::Ids(keep_hits(
                hits,
                kept.select(startups::id).load_iter::<String, _>(conn)?,
            )?),
            Hits::Indexed { hits, ids } => {
                let kept = kept.select(startups::id).load_iter::<String, _>(conn)?;
                let rows = kept.filter_map(|id| match id {
                    Ok(id) => ids.row_of(&id).map(Ok),
                    Err(e) => Some(Err(e)),
                });
                Hits::Indexed {
                    hits: keep_hits(hits, rows)?,
                    ids,
                }
            }
        };
    }
    let total = i64::try_from(hits.len()).unwrap_or(i64::MAX);
    let position = request.cursor.as_ref().and_then(|c| sort.position(&c.key));
    let from = match &position {
        Some(Position::Relevance(rank, id)) => Some(ranked::From { rank: *rank, id }),
        _ => None,
    };
    let limit = usize::try_from(request.limit()).unwrap_or(usize::MAX);
    let backwards = request.backwards();
    let window = match hits {
        Hits::Rows(hits) => {
            ranked::window(hits, from, backwards, limit, |rows| ids_of_rows(conn, rows))?
        }
        Hits::Ids(hits) => ranked::window(hits, from, backwards, limit, |ids| {
            Ok::<_, diesel::result::Error>(ids.to_vec())
        })?,
        Hits::Indexed { hits, ids } => ranked::window(hits, from, backwards, limit, |rows| {
            Ok::<_, diesel::result::Error>(rows.iter().map(|&row| ids.id(row).to_owned()).collect())
        })?,
    };
    let ids: Vec<String> = window.iter().map(|(id, _)| id.clone()).collect();
    let of_window = startups::table
        .filter(one_of(startups::id, ids))
        .into_boxed();
    let mut rows: std::collections::HashMap<String, R> = R::load(of_window, conn, filter.day)?
        .into_iter()
        .map(|s| (s.id().to_owned(), s))
        .collect();
    let ordered: Vec<(R, f64)> = window
        .iter()
        .filter_map(|(id, rank)| rows.remove(id).map(|s| (s, *rank)))
        .collect();
    let page = Page::from_rows(request, ordered, total, |(s, rank)| {
        sort.key_of(s, Some(*rank))
    });
    Ok(page.map(|(s, _)| s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a day")
    }

    fn facts(co_incubating: &[&str], latest_start: Option<&str>) -> ListFacts {
        ListFacts {
            revision: 1,
            co_incubating: co_incubating.iter().map(|&id| id.to_owned()).collect(),
            latest_start: latest_start.map(day),
        }
    }

    const BY_ID: Sort = Sort {
        key: SortKey::Id,
        descending: false,
    };

    #[test]
    fn a_page_of_one_incubators_phases_in_id_order_is_planned_once_for_all_values() {
        let filter = StartupFilter {
            phases: vec!["construction".into(), "acceleration".into()],
            incubator: Some("dinum".into()),
            day: day("2026-12-06"),
            ..StartupFilter::default()
        };
        let settled = facts(&["sgmas"], Some("2026-12-06"));
        assert_eq!(plans(&filter, BY_ID, &settled, false), Plans::Generic);
        let backwards = Sort {
            descending: true,
            ..BY_ID
        };
        assert_eq!(plans(&filter, backwards, &settled, false), Plans::Generic);

        // Any other page keeps PostgreSQL's choice.
        let chosen = |filter: &StartupFilter, sort: Sort, facts: &ListFacts| {
            assert_eq!(
                plans(filter, sort, facts, true),
                Plans::Chosen,
                "{filter:?} {sort:?}"
            );
        };
        let by_name = Sort {
            key: SortKey::Name,
            ..BY_ID
        };
        chosen(&filter, by_name, &settled);
        // A phase starts after the day: the phase history is read.
        chosen(&filter, BY_ID, &facts(&[], Some("2026-12-07")));
        let past = StartupFilter {
            day: day("2020-01-01"),
            ..filter.clone()
        };
        chosen(&past, BY_ID, &settled);
        // The incubator lists co-incubated startups too.
        chosen(&filter, BY_ID, &facts(&["dinum"], None));
        let created = StartupFilter {
            created_after: Some(day("2015-01-01")),
            ..filter.clone()
        };
        chosen(&created, BY_ID, &settled);
        let anywhere = StartupFilter {
            incubator: None,
            ..filter.clone()
        };
        chosen(&anywhere, BY_ID, &settled);
        let any_phase = StartupFilter {
            phases: Vec::new(),
            ..filter.clone()
        };
        chosen(&any_phase, BY_ID, &settled);
    }

    #[test]
    fn a_search_alone_ranked_from_the_index_is_planned_once_for_all_values() {
        let search = StartupFilter {
            search: crate::domain::search::search_words("emploi").expect("a search"),
            day: day("2026-12-06"),
            ..StartupFilter::default()
        };
        let by_relevance = Sort {
            key: SortKey::Relevance,
            descending: false,
        };
        let settled = facts(&[], None);
        assert_eq!(plans(&search, by_relevance, &settled, true), Plans::Generic);

        // The database ranks it: as PostgreSQL chooses.
        assert_eq!(plans(&search, by_relevance, &settled, false), Plans::Chosen);
        // Its hits in another order, or filtered otherwise too, are read by other statements.
        assert_eq!(plans(&search, BY_ID, &settled, true), Plans::Chosen);
        let in_an_incubator = StartupFilter {
            incubator: Some("dinum".into()),
            ..search.clone()
        };
        let chosen = plans(&in_an_incubator, by_relevance, &settled, true);
        assert_eq!(chosen, Plans::Chosen);
        // No search is no search alone.
        let unsearched = StartupFilter {
            search: Vec::new(),
            ..search
        };
        assert_eq!(
            plans(&unsearched, by_relevance, &settled, true),
            Plans::Chosen
        );
    }
}
