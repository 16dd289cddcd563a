//! Startups counted as they are written (migration 000016): per incubator and month of
//! creation (`creation_tallies`), and per latest phase and the month it started
//! (`latest_phase_tallies`; per incubator too in `incubator_phase_tallies`, migration 000019,
//! for the lists filtered by phase within one incubator). The same counts without the month
//! (`incubator_totals`, `creation_year_totals`, `latest_phase_totals` and
//! `incubator_phase_totals`, migration 000025) give today's figures. Triggers on `startups` keep them all,
//! whoever writes. The phase rows that are not their startup's latest are counted too
//! (migration 000018), by the month and the day each opened and closed (`superseded_tallies`,
//! `superseded_day_tallies`), kept by triggers on `startup_phases`.
//!
//! A count of the whole portfolio on a day is then read from a few hundred or thousand rows
//! whatever the number of startups, plus the startups of that day's month on one side of the
//! day, read from `startups`' indexes: the same figures as grouping every startup, without
//! reading one index entry per startup. Either the tallies of the months before that day's
//! month, plus the startups of its month up to that day; or the totals, less the tallies of
//! the months after it and the startups of its month after the day.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::DbConnection;
use super::fixed_sql::{FixedSql, fixed_sql};
use super::one_of::{OneOf, one_of};
use super::schema::{
    creation_tallies, creation_year_totals, incubator_phase_tallies, incubator_phase_totals,
    incubator_totals, latest_phase_tallies, latest_phase_totals, phases, startups,
    superseded_day_tallies, superseded_tallies,
};

/// The tables of counts kept by the triggers. A load writes their rows many times (once a
/// statement on PostgreSQL, or once for all with [`counted_after`]), which leaves PostgreSQL as
/// many dead versions of a row as writes to it: after 100,000 startups generated one per row,
/// the 8 rows of `latest_phase_totals` filled 511 pages, which each read of today's figures
/// scanned, and a plain vacuum leaves a file its size. [`super::analyze`] rewrites them after a
/// load.
pub const TABLES: &[&str] = &[
    "creation_tallies",
    "latest_phase_tallies",
    "incubator_phase_tallies",
    "superseded_tallies",
    "superseded_day_tallies",
    "incubator_totals",
    "creation_year_totals",
    "latest_phase_totals",
    "incubator_phase_totals",
];

/// Runs `work`, a load of many startups or phase rows inside the caller's transaction, with
/// PostgreSQL's counts counted once after it rather than as each statement writes: an import
/// updates each of the few rows of counts once a batch, and PostgreSQL keeps every version of
/// those rows until the transaction ends and walks them on each update, so counting as it goes
/// grew with the square of the load (BENCHMARKS.md). The triggers that count skip the
/// transaction while `betadata.counting` is `deferred` (migration 000026); then every table of
/// counts is counted again from the rows, and the rest of the transaction is counted as it
/// writes. SQLite updates a row in place and counts as it goes.
pub fn counted_after<T, E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    if let DbConnection::Sqlite(_) = conn {
        return work(conn);
    }
    set_counting(conn, "deferred")?;
    let done = work(conn)?;
    set_counting(conn, "immediate")?;
    if let DbConnection::Postgres(c) = conn {
        c.batch_execute(include_str!("tallies_recount.postgres.sql"))?;
    }
    Ok(done)
}

/// Sets `betadata.counting` for the rest of the transaction.
fn set_counting(conn: &mut DbConnection, mode: &'static str) -> QueryResult<()> {
    diesel::sql_query("SELECT set_config('betadata.counting', $1, true)")
        .bind::<diesel::sql_types::Text, _>(mode)
        .execute(conn)
        .map(drop)
}

/// How the tallies spell "no incubator" and "no creation day": their key columns are never
/// NULL.
const NONE: &str = "";

/// The key of the month holding `day`, as the tallies store it: `YYYY-MM` (years have four
/// digits, [`crate::domain::dates::YEARS`], so keys sort as months do).
pub(super) fn month_key(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// The key of the last month a day can fall in ([`crate::domain::dates::YEARS`]): with it a
/// range of months after a day is bounded, which PostgreSQL reads from an index whatever the
/// day, where it would plan to read the whole table for an unbounded one.
pub(super) fn last_month_key() -> String {
    format!("{:04}-12", crate::domain::dates::YEARS.end())
}

/// The first day of the month holding `day`.
fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The last day of the month holding `day`.
pub(super) fn last_of_month(day: NaiveDate) -> NaiveDate {
    (first_of_month(day).checked_add_months(Months::new(1)))
        .and_then(|next| next.pred_opt())
        // December of the calendar's last year.
        .or_else(|| NaiveDate::from_ymd_opt(day.year(), 12, 31))
        .unwrap_or(day)
}

/// The sum of the tallies' counts in a grouped query, as one type on both backends (a sum of
/// `BIGINT` is a `NUMERIC` on PostgreSQL).
fn total() -> FixedSql<BigInt> {
    fixed_sql("CAST(SUM(startups) AS BIGINT)")
}

/// Adds `rows` to `counts`, leaving out keys whose count is 0.
fn add<K: Ord>(counts: &mut BTreeMap<K, i64>, rows: impl IntoIterator<Item = (K, i64)>) {
    for (key, n) in rows {
        if n != 0 {
            *counts.entry(key).or_default() += n;
        }
    }
}

/// Startups per incubator and per year of creation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Created {
    /// Per incubator id; `None`: those without one.
    pub by_incubator: BTreeMap<Option<String>, i64>,
    /// Per year of creation; undated startups are left out.
    pub by_year: BTreeMap<i32, i64>,
}

impl Created {
    /// The sums of the totals without the month per incubator (`''`: none) and per year of
    /// creation (`''`: undated).
    pub(super) fn of_sums(
        by_incubator: Vec<(String, i64)>,
        by_year: Vec<(String, i64)>,
    ) -> QueryResult<Self> {
        let mut created = Self::default();
        let by_incubator = (by_incubator.into_iter())
            .map(|(incubator, n)| ((incubator != NONE).then_some(incubator), n));
        add(&mut created.by_incubator, by_incubator);
        for (year, n) in by_year {
            if year != NONE {
                let year = year
                    .parse()
                    .map_err(|_| bad_key("creation_year_totals.created_year", &year, "YYYY"))?;
                add(&mut created.by_year, [(year, n)]);
            }
        }
        Ok(created)
    }
}

/// Every startup, or only those started by `started_by`, per incubator and per year of
/// creation. Every startup is read from the totals without the month, a few dozen rows; a day
/// sums the monthly tallies before its month and counts the startups of its month.
pub fn created(conn: &mut DbConnection, started_by: Option<NaiveDate>) -> QueryResult<Created> {
    let Some(day) = started_by else {
        return Created::of_sums(
            incubator_totals::table.load(conn)?,
            creation_year_totals::table.load(conn)?,
        );
    };
    Ok(Created {
        by_incubator: by_incubator(conn, day)?,
        by_year: by_creation_year(conn, day)?,
    })
}

/// Startups per incubator id (`None`: those without one) started by `day`.
fn by_incubator(
    conn: &mut DbConnection,
    day: NaiveDate,
) -> QueryResult<BTreeMap<Option<String>, i64>> {
    let tallied: Vec<(String, i64)> = creation_tallies::table
        .filter(
            creation_tallies::created_month
                .ne(NONE)
                .and(creation_tallies::created_month.lt(month_key(day))),
        )
        .group_by(creation_tallies::incubator_id)
        .select((creation_tallies::incubator_id, total()))
        .load(conn)?;
    let mut counts = BTreeMap::new();
    add(
        &mut counts,
        (tallied.into_iter()).map(|(id, n)| ((id != NONE).then_some(id), n)),
    );
    let this_month: Vec<(Option<String>, i64)> = startups::table
        .filter(startups::created_on.between(first_of_month(day), day))
        .group_by(startups::incubator_id)
        .select((startups::incubator_id, count_star()))
        .load(conn)?;
    add(&mut counts, this_month);
    counts.retain(|_, n| *n != 0);
    Ok(counts)
}

/// Startups per year of creation started by `day`.
fn by_creation_year(conn: &mut DbConnection, day: NaiveDate) -> QueryResult<BTreeMap<i32, i64>> {
    let tallied: Vec<(String, i64)> = creation_tallies::table
        .filter(creation_tallies::created_month.ne(NONE))
        .filter(creation_tallies::created_month.lt(month_key(day)))
        .group_by(creation_tallies::created_month)
        .select((creation_tallies::created_month, total()))
        .load(conn)?;
    let mut counts = BTreeMap::new();
    for (month, n) in tallied {
        let year = (month.get(..4))
            .and_then(|year| year.parse().ok())
            .ok_or_else(|| bad_key("creation_tallies.created_month", &month, "YYYY-MM"))?;
        add(&mut counts, [(year, n)]);
    }
    let this_month: i64 = startups::table
        .filter(startups::created_on.between(first_of_month(day), day))
        .count()
        .get_result(conn)?;
    add(&mut counts, [(day.year(), this_month)]);
    Ok(counts)
}

/// Startups settled in their latest phase by `day` (it started on or before), per phase: the
/// first part of [`crate::db::phases::Phase::current_counts`] for the whole portfolio.
///
/// The same figures are read from either side of `day`, whichever holds fewer rows. Today and
/// later (`day`'s month is `today`'s or after), every startup with a dated latest phase less
/// those whose phase starts after `day`: the monthly tallies of the months after `day`'s and
/// the startups of its days after `day`, which are few (phases dated in the future). A day in
/// the past: the tallies of the months before `day`'s, plus the startups of its days up to
/// `day`.
pub fn settled_by_phase(
    conn: &mut DbConnection,
    day: NaiveDate,
    today: NaiveDate,
) -> QueryResult<BTreeMap<String, i64>> {
    if first_of_month(day) >= first_of_month(today) {
        let totals = latest_phase_totals::table.load(conn)?;
        let later_months = latest_months_after(month_key(day)).load(conn)?;
        let later_days = match day.succ_opt() {
            Some(next) => latest_started(next, last_of_month(day)).load(conn)?,
            None => Vec::new(),
        };
        let later = later_months.into_iter().chain(with_phase(later_days));
        return Ok(settled_from_totals(totals, later));
    }
    let mut counts = BTreeMap::new();
    let earlier_months: Vec<(String, i64)> = latest_phase_tallies::table
        .filter(latest_phase_tallies::latest_month.lt(month_key(day)))
        .group_by(latest_phase_tallies::latest_phase_id)
        .select((latest_phase_tallies::latest_phase_id, total()))
        .load(conn)?;
    add(&mut counts, earlier_months);
    let this_month = latest_started(first_of_month(day), day).load(conn)?;
    add(&mut counts, with_phase(this_month));
    counts.retain(|_, n| *n != 0);
    Ok(counts)
}

/// [`settled_by_phase`] from the totals per phase, less the startups whose phase starts after
/// the day (`later`: the tallies of the months after the day's, the startups of its days after
/// it).
pub(super) fn settled_from_totals(
    totals: impl IntoIterator<Item = (String, i64)>,
    later: impl IntoIterator<Item = (String, i64)>,
) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    add(&mut counts, totals);
    add(
        &mut counts,
        (later.into_iter()).map(|(phase, n)| (phase, -n)),
    );
    counts.retain(|_, n| *n != 0);
    counts
}

/// Startups whose dated latest phase started in a month after `month`, per phase.
#[diesel::dsl::auto_type]
fn latest_months_after(month: String) -> _ {
    let total: FixedSql<BigInt> = total();
    // Every phase named, so that each tally is read in one range of its key per phase.
    let phase_ids: diesel::dsl::Select<phases::table, phases::id> =
        phases::table.select(phases::id);
    latest_phase_tallies::table
        .filter(latest_phase_tallies::latest_phase_id.eq_any(phase_ids))
        .filter(latest_phase_tallies::latest_month.gt(month))
        .group_by(latest_phase_tallies::latest_phase_id)
        .select((latest_phase_tallies::latest_phase_id, total))
}

/// Startups whose dated latest phase started from `first` to `last`, per phase.
#[diesel::dsl::auto_type]
fn latest_started(first: NaiveDate, last: NaiveDate) -> _ {
    // Every phase named, so that PostgreSQL reads one range of `startups_latest_phase` each.
    let phase_ids: diesel::dsl::Select<phases::table, diesel::dsl::Nullable<phases::id>> =
        phases::table.select(phases::id.nullable());
    let startups: diesel::dsl::CountStar = count_star();
    startups::table
        .filter(startups::latest_phase_id.eq_any(phase_ids))
        .filter(startups::latest_phase_start.between(first, last))
        .group_by(startups::latest_phase_id)
        .select((startups::latest_phase_id, startups))
}

/// The counts of rows that have a phase.
fn with_phase(rows: Vec<(Option<String>, i64)>) -> impl Iterator<Item = (String, i64)> {
    (rows.into_iter()).filter_map(|(phase, n)| Some((phase?, n)))
}

/// How many startups have one of `phases` as their dated latest phase, in all incubators or only
/// those hosted by `incubator` (co-incubated ones are not counted): what
/// [`settled_in_phases`] counts on a day by which every latest phase has started. The sum of
/// the totals without the month, a few rows.
pub fn in_phases(
    conn: &mut DbConnection,
    phases: &[String],
    incubator: Option<&str>,
) -> QueryResult<i64> {
    let tallied: Option<i64> = match incubator {
        None => latest_phase_totals::table
            .filter(one_of(latest_phase_totals::latest_phase_id, phases))
            .select(total().nullable())
            .get_result(conn)?,
        Some(incubator) => {
            diesel::select(in_phases_of(incubator.to_owned(), phases.to_vec())).get_result(conn)?
        }
    };
    // A sum over no tally is NULL.
    Ok(tallied.unwrap_or(0))
}

/// [`in_phases`] of one incubator, as a subquery of another statement (the shape of a list's
/// statements, `db::startup_list::Shape`, or a page's rows): `NULL` when no tally counts them.
#[diesel::dsl::auto_type]
pub fn in_phases_of(incubator: String, phases: Vec<String>) -> _ {
    let phases: OneOf<incubator_phase_totals::latest_phase_id> =
        one_of(incubator_phase_totals::latest_phase_id, phases);
    let total: FixedSql<BigInt> = total();
    incubator_phase_totals::table
        .filter(incubator_phase_totals::incubator_id.eq(incubator))
        .filter(phases)
        .select(total.nullable())
        .single_value()
}

/// How many startups are settled by `day` in their latest phase, one of `phases` (it started
/// on or before `day`), in all incubators or only those hosted by `incubator` (co-incubated
/// ones are not counted): the first count of a list filtered by phase, and by nothing else but
/// the incubator. Summed from the tallies of the months before `day`'s, plus the startups of
/// its month up to `day`.
pub fn settled_in_phases(
    conn: &mut DbConnection,
    phases: &[String],
    incubator: Option<&str>,
    day: NaiveDate,
) -> QueryResult<i64> {
    let before = month_key(day);
    let this_month = startups::table
        .filter(one_of(startups::latest_phase_id, phases))
        .filter(startups::latest_phase_start.between(first_of_month(day), day))
        .count()
        .into_boxed();
    let (tallied, this_month): (Option<i64>, i64) = match incubator {
        None => (
            latest_phase_tallies::table
                .filter(one_of(latest_phase_tallies::latest_phase_id, phases))
                .filter(latest_phase_tallies::latest_month.lt(before))
                .select(total().nullable())
                .get_result(conn)?,
            this_month.get_result(conn)?,
        ),
        Some(incubator) => (
            incubator_phase_tallies::table
                .filter(incubator_phase_tallies::incubator_id.eq(incubator))
                .filter(one_of(incubator_phase_tallies::latest_phase_id, phases))
                .filter(incubator_phase_tallies::latest_month.lt(before))
                .select(total().nullable())
                .get_result(conn)?,
            this_month
                .filter(startups::incubator_id.eq(incubator))
                .get_result(conn)?,
        ),
    };
    // A sum over no tally is NULL.
    Ok(tallied.unwrap_or(0) + this_month)
}

/// The phase rows current on `day` that are not their startup's latest, per phase: the
/// second part of [`crate::db::phases::Phase::current_counts`] for the whole portfolio.
///
/// A row is current from its start to the day before the next phase's start: the rows current
/// on `day` are those opened by then less those closed by then. Every row the tallies count
/// opens once and closes once, so that is also those closed after `day` less those opened
/// after it, which reads the months after `day`'s month and its days after `day`: few rows for
/// today and recent days, whatever the portfolio's history.
pub fn superseded_by_phase(
    conn: &mut DbConnection,
    day: NaiveDate,
) -> QueryResult<BTreeMap<String, i64>> {
    let months = superseded_months_after(month_key(day)).load(conn)?;
    let days = superseded_days_after(day, last_of_month(day)).load(conn)?;
    Ok(still_open(months.into_iter().chain(days)))
}

/// [`superseded_by_phase`] from the phase rows closed less those opened in the months after
/// the day's and on its days after it.
pub(super) fn still_open(rows: impl IntoIterator<Item = (String, i64)>) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    add(&mut counts, rows);
    // The days after `day` may close fewer rows than they open.
    counts.retain(|_, n| *n != 0);
    counts
}

/// The phase rows closed less those opened in the months after `month`, per phase.
#[diesel::dsl::auto_type]
fn superseded_months_after(month: String) -> _ {
    let still_open: FixedSql<BigInt> = fixed_sql("CAST(SUM(closed - opened) AS BIGINT)");
    // Every phase named, so that each tally is read in one range of its key per phase.
    let phase_ids: diesel::dsl::Select<phases::table, phases::id> =
        phases::table.select(phases::id);
    superseded_tallies::table
        .filter(superseded_tallies::phase_id.eq_any(phase_ids))
        .filter(superseded_tallies::month.gt(month))
        .group_by(superseded_tallies::phase_id)
        .select((superseded_tallies::phase_id, still_open))
}

/// The phase rows closed less those opened on the days after `day` up to `last`, per phase.
#[diesel::dsl::auto_type]
fn superseded_days_after(day: NaiveDate, last: NaiveDate) -> _ {
    let still_open: FixedSql<BigInt> = fixed_sql("CAST(SUM(closed - opened) AS BIGINT)");
    let phase_ids: diesel::dsl::Select<phases::table, phases::id> =
        phases::table.select(phases::id);
    superseded_day_tallies::table
        .filter(superseded_day_tallies::phase_id.eq_any(phase_ids))
        .filter(superseded_day_tallies::day.gt(day))
        .filter(superseded_day_tallies::day.le(last))
        .group_by(superseded_day_tallies::phase_id)
        .select((superseded_day_tallies::phase_id, still_open))
}

/// A tally key the triggers cannot have written: `form` is what they write.
fn bad_key(column: &str, key: &str, form: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(
        format!("{column} holds `{key}`, not `{form}`").into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a day")
    }

    #[test]
    fn month_keys_sort_as_the_months_do() {
        let days = [
            "0001-01-01",
            "0999-12-31",
            "2019-09-30",
            "2019-10-01",
            "9999-12-31",
        ];
        let keys: Vec<String> = days.iter().map(|d| month_key(day(d))).collect();
        assert_eq!(
            keys,
            ["0001-01", "0999-12", "2019-09", "2019-10", "9999-12"]
        );
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn a_month_starts_on_its_first_day_and_ends_on_its_last() {
        assert_eq!(first_of_month(day("2024-02-29")), day("2024-02-01"));
        assert_eq!(first_of_month(day("2024-03-01")), day("2024-03-01"));
        assert_eq!(last_of_month(day("2024-02-01")), day("2024-02-29"));
        assert_eq!(last_of_month(day("2023-02-28")), day("2023-02-28"));
        assert_eq!(last_of_month(day("2024-12-05")), day("2024-12-31"));
        assert_eq!(last_of_month(day("9999-12-05")), day("9999-12-31"));
    }

    #[test]
    fn counts_of_zero_are_left_out() {
        let mut counts = BTreeMap::new();
        add(&mut counts, [("a", 2), ("b", 0), ("a", 1)]);
        assert_eq!(counts, BTreeMap::from([("a", 3)]));
    }
}
