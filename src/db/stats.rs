//! Counts across the portfolio for `/stats`: from the tallies kept as startups are written
//! ([`super::tallies`]) for the whole portfolio, grouped in SQL for one incubator.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;

use diesel::sql_types::{BigInt, Text};
use diesel_async::AsyncPgConnection;

use super::DbConnection;
use super::fixed_sql::{FixedSql, fixed_sql};
use super::one_of::one_of;
use super::phases::Phase;
use super::plans::Plans;
use super::schema::{
    creation_year_totals, incubator_totals, incubators, latest_phase_tallies, latest_phase_totals,
    observations, organisations, phases, startup_incubators, startup_phases, startups,
    superseded_day_tallies, superseded_tallies,
};
use super::startups::{PhaseRow, Startup, current_phase_rows, phases_in_incubator};
use super::tallies::{self, Created};

/// Which startups a statistic covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub incubator: Option<String>,
    /// Only the startups started by then; `None`: every startup, dated or not.
    pub started_by: Option<NaiveDate>,
}

impl Scope {
    /// How PostgreSQL is to plan the statements of `/stats` over this scope: once for all
    /// values over the whole portfolio, whatever the day, as they were no slower for any day
    /// measured (today, 2015, 2020) and today's figures were a third faster (BENCHMARKS.md);
    /// as PostgreSQL chooses for one incubator, which a generic plan made slower.
    pub fn plans(&self) -> Plans {
        match self.incubator {
            None => Plans::Generic,
            Some(_) => Plans::Chosen,
        }
    }

    /// Whether the scope's incubator co-incubates some startup ([`Startup::co_incubates`]).
    fn co_incubated(&self, conn: &mut DbConnection) -> QueryResult<bool> {
        match &self.incubator {
            Some(incubator) => Startup::co_incubates(conn, incubator),
            None => Ok(false),
        }
    }
}

/// Keeps the startups of `scope` in a boxed query on `startups` (grouped or not).
macro_rules! scoped {
    ($query:expr, $scope:expr, $co_incubated:expr) => {{
        let mut query = $query;
        if let Some(incubator) = &$scope.incubator {
            query =
                $crate::db::startups::filter_incubator!(query, incubator.clone(), $co_incubated);
        }
        if let Some(day) = $scope.started_by {
            query = query.filter(startups::created_on.le(day));
        }
        query
    }};
}

/// The figures of `/stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portfolio {
    /// Startups per own incubator and per year of creation.
    pub created: Created,
    /// Startups per incubator that co-incubates them.
    pub co_incubated: BTreeMap<String, i64>,
    /// Startups per phase on the day.
    pub by_phase: BTreeMap<String, i64>,
    pub incubators_total: i64,
    pub organisations_total: i64,
}

/// The figures of `/stats` for the startups of `scope` on `day`.
pub fn portfolio(
    conn: &mut DbConnection,
    scope: &Scope,
    day: NaiveDate,
    today: NaiveDate,
) -> QueryResult<Portfolio> {
    if *scope == Scope::default() && day == today {
        // Each backend builds its own compound statement (diesel's `MultiBackend` has none).
        let rows = match conn {
            DbConnection::Sqlite(c) => today_rows(today).load(c)?,
            DbConnection::Postgres(c) => today_rows(today).load(c)?,
        };
        return Portfolio::of_rows(rows);
    }
    Ok(Portfolio {
        created: startups_created(conn, scope)?,
        co_incubated: co_incubated_by_incubator(conn, scope)?,
        by_phase: Phase::current_counts(conn, day, today, scope.incubator.as_deref())?,
        incubators_total: incubators_total(conn)?,
        organisations_total: organisations_total(conn)?,
    })
}

/// [`portfolio`] of every startup today, its statement sent on the worker's pipelined
/// connection ([`super::pipelined`]): read from the tallies and small tables, its plan does not
/// depend on the values (`Scope::plans`).
pub async fn today_pipelined(
    mut conn: &AsyncPgConnection,
    today: NaiveDate,
) -> QueryResult<Portfolio> {
    Portfolio::of_rows(diesel_async::RunQueryDsl::load(today_rows(today), &mut conn).await?)
}

/// A row of [`today_rows()`]: what it counts ([`BY_INCUBATOR`], …), its key, and the count.
type TodayRow = (String, String, i64);

/// What a row of [`today_rows()`] counts.
const BY_INCUBATOR: &str = "by incubator";
const BY_YEAR: &str = "by year";
const LATEST: &str = "latest";
const LATER: &str = "later";
const SUPERSEDED: &str = "superseded";
const CO_INCUBATED: &str = "co-incubated";
const INCUBATORS: &str = "incubators";
const ORGANISATIONS: &str = "organisations";

/// Every figure of `/stats` of the whole portfolio on `today`, in one statement: one round
/// trip rather than nine, and a few dozen rows. Its rows ([`TodayRow`]) are, by what they
/// count:
/// - `by incubator`, `by year`: the totals per incubator and per year of creation
///   ([`tallies::created`]);
/// - `latest`, `later`: the totals per latest phase, and the startups whose latest phase
///   starts after `today`, per month and then one by one ([`tallies::settled_by_phase`]);
/// - `superseded`: the phase rows closed less those opened after `today`, per month and then
///   per day ([`tallies::superseded_by_phase`]);
/// - `co-incubated`: one row per co-incubation of a startup that is there;
/// - `incubators`, `organisations`: how many there are.
#[diesel::dsl::auto_type]
fn today_rows(today: NaiveDate) -> _ {
    // Each range after `today` is bounded, so that PostgreSQL plans to read it from an index.
    let month: String = tallies::month_key(today);
    let last_month: String = tallies::last_month_key();
    let superseded_month: String = tallies::month_key(today);
    let superseded_last_month: String = tallies::last_month_key();
    let last: NaiveDate = tallies::last_of_month(today);
    let empty: FixedSql<Text> = fixed_sql("''");
    let one: FixedSql<BigInt> = fixed_sql("1");
    // Every phase named, so that each backend reads one range of `startups_latest_phase` each.
    let phase_ids: diesel::dsl::Select<phases::table, diesel::dsl::Nullable<phases::id>> =
        phases::table.select(phases::id.nullable());
    let by_incubator: FixedSql<Text> = fixed_sql("'by incubator'");
    let by_year: FixedSql<Text> = fixed_sql("'by year'");
    let latest: FixedSql<Text> = fixed_sql("'latest'");
    let later: FixedSql<Text> = fixed_sql("'later'");
    let superseded: FixedSql<Text> = fixed_sql("'superseded'");
    let co_incubated: FixedSql<Text> = fixed_sql("'co-incubated'");
    let incubators: FixedSql<Text> = fixed_sql("'incubators'");
    let organisations: FixedSql<Text> = fixed_sql("'organisations'");
    let startup_there: diesel::dsl::exists<
        diesel::dsl::Filter<
            startups::table,
            diesel::dsl::Eq<startups::id, startup_incubators::startup_id>,
        >,
    > = diesel::dsl::exists(
        startups::table.filter(startups::id.eq(startup_incubators::startup_id)),
    );
    let n: diesel::dsl::CountStar = count_star();
    let still_open: diesel::dsl::Sub<superseded_tallies::closed, superseded_tallies::opened> =
        superseded_tallies::closed - superseded_tallies::opened;
    let still_open_on_days: diesel::dsl::Sub<
        superseded_day_tallies::closed,
        superseded_day_tallies::opened,
    > = superseded_day_tallies::closed - superseded_day_tallies::opened;
    incubator_totals::table
        .select((
            by_incubator,
            incubator_totals::incubator_id,
            incubator_totals::startups,
        ))
        .union_all(creation_year_totals::table.select((
            by_year,
            creation_year_totals::created_year,
            creation_year_totals::startups,
        )))
        .union_all(latest_phase_totals::table.select((
            latest,
            latest_phase_totals::latest_phase_id,
            latest_phase_totals::startups,
        )))
        .union_all(
            latest_phase_tallies::table
                .filter(latest_phase_tallies::latest_month.gt(month))
                .filter(latest_phase_tallies::latest_month.le(last_month))
                .select((
                    later,
                    latest_phase_tallies::latest_phase_id,
                    latest_phase_tallies::startups,
                )),
        )
        .union_all(
            startups::table
                .filter(startups::latest_phase_id.eq_any(phase_ids))
                .filter(startups::latest_phase_start.gt(today))
                .filter(startups::latest_phase_start.le(last))
                .select((later, startups::latest_phase_id.assume_not_null(), one)),
        )
        .union_all(
            superseded_tallies::table
                .filter(superseded_tallies::month.gt(superseded_month))
                .filter(superseded_tallies::month.le(superseded_last_month))
                .select((superseded, superseded_tallies::phase_id, still_open)),
        )
        .union_all(
            superseded_day_tallies::table
                .filter(superseded_day_tallies::day.gt(today))
                .filter(superseded_day_tallies::day.le(last))
                .select((
                    superseded,
                    superseded_day_tallies::phase_id,
                    still_open_on_days,
                )),
        )
        .union_all(startup_incubators::table.filter(startup_there).select((
            co_incubated,
            startup_incubators::incubator_id,
            one,
        )))
        .union_all(incubators::table.select((incubators, empty, n)))
        .union_all(organisations::table.select((organisations, empty, n)))
}

impl Portfolio {
    /// The figures from the rows of [`today_rows()`].
    fn of_rows(rows: Vec<TodayRow>) -> QueryResult<Self> {
        let (mut by_incubator, mut by_year) = (Vec::new(), Vec::new());
        let (mut latest, mut later, mut superseded) = (Vec::new(), Vec::new(), Vec::new());
        let mut co_incubated = BTreeMap::new();
        let (mut incubators_total, mut organisations_total) = (0, 0);
        for (counted, key, n) in rows {
            match counted.as_str() {
                BY_INCUBATOR => by_incubator.push((key, n)),
                BY_YEAR => by_year.push((key, n)),
                LATEST => latest.push((key, n)),
                LATER => later.push((key, n)),
                SUPERSEDED => superseded.push((key, n)),
                CO_INCUBATED => *co_incubated.entry(key).or_default() += n,
                INCUBATORS => incubators_total += n,
                ORGANISATIONS => organisations_total += n,
                _ => {
                    return Err(diesel::result::Error::DeserializationError(
                        format!("a figure of /stats counts `{counted}`").into(),
                    ));
                }
            }
        }
        let mut by_phase = tallies::settled_from_totals(latest, later);
        for (phase, n) in tallies::still_open(superseded) {
            *by_phase.entry(phase).or_default() += n;
        }
        Ok(Self {
            created: Created::of_sums(by_incubator, by_year)?,
            co_incubated,
            by_phase,
            incubators_total,
            organisations_total,
        })
    }
}

/// Startups per incubator id (and, under `None`, those without one: the breakdown gives the
/// total too) and per year of creation (the start of their first phase; undated ones are left
/// out), in `scope`.
pub fn startups_created(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Created> {
    if scope.incubator.is_none() {
        return tallies::created(conn, scope.started_by);
    }
    let co_incubated = scope.co_incubated(conn)?;
    let by_incubator = startups::table
        .group_by(startups::incubator_id)
        .select((startups::incubator_id, count_star()))
        .into_boxed();
    let by_incubator: Vec<(Option<String>, i64)> =
        scoped!(by_incubator, scope, co_incubated).load(conn)?;
    let by_day = startups::table
        .filter(startups::created_on.is_not_null())
        .group_by(startups::created_on)
        .select((startups::created_on, count_star()))
        .into_boxed();
    let by_day: Vec<(Option<NaiveDate>, i64)> = scoped!(by_day, scope, co_incubated).load(conn)?;
    let mut by_year = BTreeMap::new();
    for (day, n) in by_day {
        if let Some(day) = day {
            *by_year.entry(day.year()).or_default() += n;
        }
    }
    Ok(Created {
        by_incubator: by_incubator.into_iter().collect(),
        by_year,
    })
}

/// Startups per incubator they are co-incubated by (listed under beside their own incubator,
/// [`crate::db::startups::Relations::co_incubators`]), in `scope`. Co-incubations are few: they
/// are read whole and counted here.
pub fn co_incubated_by_incubator(
    conn: &mut DbConnection,
    scope: &Scope,
) -> QueryResult<BTreeMap<String, i64>> {
    // Read from the co-incubations first: a join could walk every startup to find none.
    let links: Vec<(String, String)> = startup_incubators::table
        .select((
            startup_incubators::incubator_id,
            startup_incubators::startup_id,
        ))
        .load(conn)?;
    if links.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ids: Vec<String> = links.iter().map(|(_, startup)| startup.clone()).collect();
    let startups: HashMap<String, (Option<String>, Option<NaiveDate>)> = startups::table
        .filter(one_of(startups::id, ids))
        .select((startups::id, startups::incubator_id, startups::created_on))
        .load::<(String, Option<String>, Option<NaiveDate>)>(conn)?
        .into_iter()
        .map(|(id, own, created)| (id, (own, created)))
        .collect();
    let rows: Vec<(String, String, Option<String>, Option<NaiveDate>)> = links
        .into_iter()
        .filter_map(|(co, startup)| {
            let (own, created) = startups.get(&startup)?.clone();
            Some((co, startup, own, created))
        })
        .collect();
    let of_scope: HashSet<&str> = rows
        .iter()
        .filter(|(co, ..)| scope.incubator.as_ref() == Some(co))
        .map(|(_, startup, ..)| startup.as_str())
        .collect();
    let mut counts = BTreeMap::new();
    for (co, startup, own, created) in &rows {
        let in_incubator = scope.incubator.is_none()
            || own == &scope.incubator
            || of_scope.contains(startup.as_str());
        let started = scope
            .started_by
            .is_none_or(|day| created.is_some_and(|c| c <= day));
        if in_incubator && started {
            *counts.entry(co.clone()).or_default() += 1;
        }
    }
    Ok(counts)
}

/// The first and the last day the portfolio's dated facts speak of: the starts and ends of the
/// startups' phases, the dates of the metrics' observations and the starts of the periods they
/// measure. `None` when nothing is dated.
pub fn dated_span(conn: &mut DbConnection) -> QueryResult<Option<(NaiveDate, NaiveDate)>> {
    type Bounds = (
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
    );
    let (phase_first, phase_last, end_first, end_last): Bounds = startup_phases::table
        .select((
            min(startup_phases::start_date),
            max(startup_phases::start_date),
            min(startup_phases::end_date),
            max(startup_phases::end_date),
        ))
        .get_result(conn)?;
    let (date_first, date_last, start_first, start_last): Bounds = observations::table
        .select((
            min(observations::date),
            max(observations::date),
            min(observations::start_date),
            max(observations::start_date),
        ))
        .get_result(conn)?;
    let first = [phase_first, end_first, date_first, start_first]
        .into_iter()
        .flatten()
        .min();
    let last = [phase_last, end_last, date_last, start_last]
        .into_iter()
        .flatten()
        .max();
    Ok(first.zip(last))
}

pub fn incubators_total(conn: &mut DbConnection) -> QueryResult<i64> {
    incubators::table.count().get_result(conn)
}

pub fn organisations_total(conn: &mut DbConnection) -> QueryResult<i64> {
    organisations::table.count().get_result(conn)
}

/// What outcomes are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Incubator,
    CreationDay,
}

/// A group key (incubator id, or creation day as `YYYY-MM-DD`; `None` when the startup has
/// none), a phase (`None`: no phase started by the day), and how many startups share them.
pub type PhaseCount = (Option<String>, Option<String>, i64);

/// How many startups of each group are in each phase on `day`.
pub fn phases_by_group(
    conn: &mut DbConnection,
    group: GroupBy,
    day: NaiveDate,
) -> QueryResult<Vec<PhaseCount>> {
    let current = || {
        startup_phases::table.on(startup_phases::startup_id
            .eq(startups::id)
            .and(current_phase_rows!(day)))
    };
    type InPhase = Vec<(Option<String>, String, i64)>;
    type All = Vec<(Option<String>, i64)>;
    let (in_phase, all): (InPhase, All) = match group {
        GroupBy::Incubator => {
            // A co-incubated startup counts under each of its incubators. Co-incubations are
            // few, and often none: then no join is tried (it could walk every startup).
            let any: bool = diesel::select(diesel::dsl::exists(
                startup_incubators::table.select(startup_incubators::startup_id),
            ))
            .get_result(conn)?;
            let co_in_phase: Vec<(String, String, i64)> = if any {
                startup_incubators::table
                    .inner_join(startups::table.inner_join(current()))
                    .group_by((startup_incubators::incubator_id, startup_phases::phase_id))
                    .select((
                        startup_incubators::incubator_id,
                        startup_phases::phase_id,
                        count_star(),
                    ))
                    .load(conn)?
            } else {
                Vec::new()
            };
            let co_all: Vec<(String, i64)> = startup_incubators::table
                .group_by(startup_incubators::incubator_id)
                .select((startup_incubators::incubator_id, count_star()))
                .load(conn)?;
            let mut in_phase: BTreeMap<(Option<String>, String), i64> = startups::table
                .inner_join(current())
                .group_by((startups::incubator_id, startup_phases::phase_id))
                .select((
                    startups::incubator_id,
                    startup_phases::phase_id,
                    count_star(),
                ))
                .load::<(Option<String>, String, i64)>(conn)?
                .into_iter()
                .map(|(k, p, n)| ((k, p), n))
                .collect();
            for (k, p, n) in co_in_phase {
                *in_phase.entry((Some(k), p)).or_default() += n;
            }
            let mut all: BTreeMap<Option<String>, i64> = startups::table
                .group_by(startups::incubator_id)
                .select((startups::incubator_id, count_star()))
                .load::<(Option<String>, i64)>(conn)?
                .into_iter()
                .collect();
            for (k, n) in co_all {
                *all.entry(Some(k)).or_default() += n;
            }
            (
                in_phase.into_iter().map(|((k, p), n)| (k, p, n)).collect(),
                all.into_iter().collect(),
            )
        }
        GroupBy::CreationDay => {
            let day_key = |d: Option<NaiveDate>| d.map(|d| d.to_string());
            let in_phase: Vec<(Option<NaiveDate>, String, i64)> = startups::table
                .inner_join(current())
                .group_by((startups::created_on, startup_phases::phase_id))
                .select((startups::created_on, startup_phases::phase_id, count_star()))
                .load(conn)?;
            let all: Vec<(Option<NaiveDate>, i64)> = startups::table
                .group_by(startups::created_on)
                .select((startups::created_on, count_star()))
                .load(conn)?;
            (
                in_phase
                    .into_iter()
                    .map(|(d, p, n)| (day_key(d), p, n))
                    .collect(),
                all.into_iter().map(|(d, n)| (day_key(d), n)).collect(),
            )
        }
    };
    let mut started: HashMap<&Option<String>, i64> = HashMap::new();
    for (key, _, n) in &in_phase {
        *started.entry(key).or_default() += n;
    }
    let mut not_started: Vec<PhaseCount> = Vec::new();
    for (key, total) in &all {
        let started = started.get(key).copied().unwrap_or(0);
        if *total > started {
            not_started.push((key.clone(), None, total - started));
        }
    }
    let mut counts = not_started;
    counts.extend(in_phase.into_iter().map(|(k, p, n)| (k, Some(p), n)));
    Ok(counts)
}

/// Every phase row of the startups of `incubator` (all when `None`) that started on or after
/// `since`, by startup in each history's order, ready to be cut into histories.
pub fn phase_rows(
    conn: &mut DbConnection,
    incubator: Option<&str>,
    since: Option<NaiveDate>,
) -> QueryResult<Vec<PhaseRow>> {
    let query = startup_phases::table
        .select(PhaseRow::as_select())
        .order((startup_phases::startup_id, startup_phases::position))
        .into_boxed();
    let co_incubated = match incubator {
        Some(incubator) => Startup::co_incubates(conn, incubator)?,
        None => false,
    };
    let mut query = phases_in_incubator!(query, incubator, co_incubated);
    if let Some(since) = since {
        query = query.filter(startup_phases::start_date.ge(since));
    }
    query.load(conn)
}

/// Phase rows counted by phase, by the year they started and by the year the startup's next
/// phase started (`None`: none has yet).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct PhaseYearRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub phase_id: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub start_year: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    pub next_start_year: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub startups: i64,
}

/// Every phase row of the portfolio, grouped by phase and by the years it started and ended,
/// in one pass: enough to tell how many startups were in each phase on any 31 December (see
/// [`crate::domain::portfolio`]) without one query per year. A few hundred rows whatever the
/// size of the portfolio. The backends spell "the year of a date" differently.
pub fn phase_rows_by_year(conn: &mut DbConnection) -> QueryResult<Vec<PhaseYearRow>> {
    match conn {
        // Dates are stored as `YYYY-MM-DD` text.
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT phase_id, \
                    CAST(substr(start_date, 1, 4) AS INTEGER) AS start_year, \
                    CAST(substr(next_start, 1, 4) AS INTEGER) AS next_start_year, \
                    COUNT(*) AS startups \
             FROM startup_phases GROUP BY 1, 2, 3",
        )
        .load(c),
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT phase_id, \
                    CAST(EXTRACT(YEAR FROM start_date) AS INTEGER) AS start_year, \
                    CAST(EXTRACT(YEAR FROM next_start) AS INTEGER) AS next_start_year, \
                    COUNT(*) AS startups \
             FROM startup_phases GROUP BY 1, 2, 3",
        )
        .load(c),
    }
}
