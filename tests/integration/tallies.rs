//! The startups and phase rows counted as they are written (`db::tallies`, kept by triggers on
//! `startups` and `startup_phases`) give, for every day asked, what counting every startup's
//! own columns and every phase row gives, and so do the figures of `/stats` read from them in
//! one statement: after the seeds, an import of seed files and of a content tree (counted once
//! after its rows on PostgreSQL), the generator, the migrations' backfill, and writes made
//! around the API in SQL (one row or many, every counted column, deletes), on both backends.

use crate::common;

use std::collections::BTreeMap;

use betadata::db::DbConnection;
use betadata::db::schema::{incubators, startup_phases, startups};
use betadata::db::stats::{self, Scope};
use betadata::db::tallies::{self, Created};
use betadata::generate::{Options, generate};
use betadata::seed::content::{read_tree, sync};
use chrono::{Datelike, NaiveDate};
use common::both_backends;
use diesel::prelude::*;
use indicatif::ProgressBar;

/// A startup's `incubator_id`, `created_on`, `latest_phase_id` and `latest_phase_start`.
type Counted = (
    Option<String>,
    Option<NaiveDate>,
    Option<String>,
    Option<NaiveDate>,
);

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a day")
}

/// Days on the first and the last of a month, inside and around the data's history.
fn days() -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = [
        "1999-12-31",
        "2016-01-01",
        "2019-06-01",
        "2019-06-15",
        "2019-06-30",
        "2021-03-01",
        "2021-03-31",
        "2099-06-01",
        "2100-01-01",
    ]
    .into_iter()
    .map(day)
    .collect();
    days.push(chrono::Utc::now().date_naive());
    days
}

/// Asserts that the tallies give what counting every startup's columns gives.
fn assert_tallies_match(conn: &mut DbConnection, context: &str) {
    let rows: Vec<Counted> = startups::table
        .select((
            startups::incubator_id,
            startups::created_on,
            startups::latest_phase_id,
            startups::latest_phase_start,
        ))
        .load(conn)
        .expect("startups");
    assert!(!rows.is_empty(), "{context}: some startups");
    let mut every_startup = Created::default();
    for started_by in [None].into_iter().chain(days().into_iter().map(Some)) {
        let mut by_incubator: BTreeMap<Option<String>, i64> = BTreeMap::new();
        let mut by_year: BTreeMap<i32, i64> = BTreeMap::new();
        for (incubator, created, _, _) in &rows {
            if started_by.is_none_or(|by| created.is_some_and(|created| created <= by)) {
                *by_incubator.entry(incubator.clone()).or_default() += 1;
                if let Some(created) = created {
                    *by_year.entry(created.year()).or_default() += 1;
                }
            }
        }
        if started_by.is_none() {
            every_startup = Created {
                by_incubator: by_incubator.clone(),
                by_year: by_year.clone(),
            };
        }
        let created = tallies::created(conn, started_by).expect("created");
        assert_eq!(
            created.by_incubator, by_incubator,
            "{context}: startups by incubator, started by {started_by:?}"
        );
        assert_eq!(
            created.by_year, by_year,
            "{context}: startups by year of creation, started by {started_by:?}"
        );
    }
    let phase_rows: Vec<(String, NaiveDate, Option<NaiveDate>)> = startup_phases::table
        .select((
            startup_phases::phase_id,
            startup_phases::start_date,
            startup_phases::next_start,
        ))
        .load(conn)
        .expect("phase rows");
    for on in days() {
        let mut superseded: BTreeMap<String, i64> = BTreeMap::new();
        for (phase, start, next) in &phase_rows {
            if *start <= on && next.is_some_and(|next| next > on) {
                *superseded.entry(phase.clone()).or_default() += 1;
            }
        }
        assert_eq!(
            tallies::superseded_by_phase(conn, on).expect("superseded"),
            superseded,
            "{context}: phase rows current on {on} that are not the latest"
        );
        let mut settled: BTreeMap<String, i64> = BTreeMap::new();
        for (_, _, phase, start) in &rows {
            if let (Some(phase), Some(start)) = (phase, start)
                && *start <= on
            {
                *settled.entry(phase.clone()).or_default() += 1;
            }
        }
        // Read from after `on` (today is `on`) and from before it (today is later).
        for today in [on, day("2101-01-01")] {
            assert_eq!(
                tallies::settled_by_phase(conn, on, today).expect("settled"),
                settled,
                "{context}: settled in their latest phase on {on}, today being {today}"
            );
        }
        // `/stats` of the whole portfolio, `on` being today: one statement.
        let figures = stats::portfolio(conn, &Scope::default(), on, on).expect("figures");
        let mut by_phase = settled;
        for (phase, n) in superseded {
            *by_phase.entry(phase).or_default() += n;
        }
        assert_eq!(
            figures.by_phase, by_phase,
            "{context}: /stats by phase on {on}"
        );
        assert_eq!(
            figures.created, every_startup,
            "{context}: /stats created on {on}"
        );
        let co_incubated = stats::co_incubated_by_incubator(conn, &Scope::default());
        assert_eq!(figures.co_incubated, co_incubated.expect("co-incubated"));
        assert_eq!(
            (figures.incubators_total, figures.organisations_total),
            (
                stats::incubators_total(conn).expect("incubators"),
                stats::organisations_total(conn).expect("organisations"),
            ),
            "{context}: /stats totals on {on}"
        );
        assert_settled_in_phases_match(conn, &rows, on, context);
    }
}

/// Asserts that [`tallies::settled_in_phases`] gives, on `on`, for every incubator (and all of
/// them) and each phase (and pairs of phases), what counting every startup's columns gives.
fn assert_settled_in_phases_match(
    conn: &mut DbConnection,
    rows: &[Counted],
    on: NaiveDate,
    context: &str,
) {
    let mut incubators: Vec<Option<String>> = rows.iter().map(|r| r.0.clone()).collect();
    incubators.push(Some("no-such-incubator".into()));
    incubators.sort();
    incubators.dedup();
    incubators.retain(Option::is_some);
    incubators.push(None);
    let mut phases: Vec<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
    phases.sort();
    phases.dedup();
    let mut sets: Vec<Vec<String>> = phases.iter().map(|p| vec![p.clone()]).collect();
    sets.extend(phases.windows(2).map(<[String]>::to_vec));
    for incubator in &incubators {
        for set in &sets {
            let expected = rows
                .iter()
                .filter(|(host, _, phase, start)| {
                    (incubator.is_none() || host == incubator)
                        && phase.as_ref().is_some_and(|p| set.contains(p))
                        && start.is_some_and(|start| start <= on)
                })
                .count();
            let tallied = tallies::settled_in_phases(conn, set, incubator.as_deref(), on)
                .expect("settled in phases");
            assert_eq!(
                tallied,
                i64::try_from(expected).expect("a count"),
                "{context}: settled in {set:?} on {on} in {incubator:?}"
            );
            let latest = rows
                .iter()
                .filter(|(host, _, phase, start)| {
                    (incubator.is_none() || host == incubator)
                        && phase.as_ref().is_some_and(|p| set.contains(p))
                        && start.is_some()
                })
                .count();
            let tallied = tallies::in_phases(conn, set, incubator.as_deref()).expect("in phases");
            assert_eq!(
                tallied,
                i64::try_from(latest).expect("a count"),
                "{context}: latest phase in {set:?} in {incubator:?}"
            );
        }
    }
}

#[derive(QueryableByName)]
struct Pages {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pages: i64,
}

const LATER: &str = r#"
- id: plus-tard
  name: Plus tard
  pitch: Une startup qui ne commence qu'en 2099.
  incubator: sgmas
  phases:
    - phase: investigation
      start: "15-06-2099"
- id: sans-date
  name: Sans date
  pitch: Une startup sans phase datée.
"#;

fn import_later(conn: &mut DbConnection) {
    common::import_startups(conn, "later/startups.yaml", LATER, 2);
}

/// The ids of the first `n` startups with an incubator and a dated latest phase, by id: each
/// is counted in every tally.
fn some_startups(conn: &mut DbConnection, n: i64) -> Vec<String> {
    startups::table
        .filter(startups::incubator_id.is_not_null())
        .filter(startups::latest_phase_start.is_not_null())
        .select(startups::id)
        .order(startups::id)
        .limit(n)
        .load(conn)
        .expect("ids")
}

both_backends! {
    fn the_tallies_follow_writes_made_around_the_api(db) {
        let db = db.seeded();
        let mut conn = db.pool.get().expect("connection");
        assert_tallies_match(&mut conn, "seeded");
        import_later(&mut conn);
        assert_tallies_match(&mut conn, "imported");

        let ids = some_startups(&mut conn, 8);
        let other: String = incubators::table
            .select(incubators::id)
            .order(incubators::id.desc())
            .first(&mut *conn)
            .expect("an incubator");
        let one = |i: usize| startups::table.filter(startups::id.eq(ids[i].clone()));
        // Phase rows followed by another, of startups the writes above leave alone.
        let rows: Vec<(String, i32)> = startup_phases::table
            .filter(startup_phases::next_start.is_not_null())
            .filter(startup_phases::startup_id.ne_all(&ids))
            .select((startup_phases::startup_id, startup_phases::position))
            .order((startup_phases::startup_id, startup_phases::position))
            .limit(5)
            .load(&mut *conn)
            .expect("phase rows");
        assert_eq!(rows.len(), 5);
        let row = |i: usize| {
            startup_phases::table.filter(
                (startup_phases::startup_id.eq(rows[i].0.clone()))
                    .and(startup_phases::position.eq(rows[i].1)),
            )
        };
        // Each write runs, and is checked, in its turn.
        type Write<'a> = (&'a str, Box<dyn Fn(&mut DbConnection) -> QueryResult<usize> + 'a>);
        let writes: Vec<Write> = vec![
            ("no incubator", Box::new(|c| diesel::update(one(0)).set(startups::incubator_id.eq(None::<String>)).execute(c))),
            ("another incubator", Box::new(|c| diesel::update(one(1)).set(startups::incubator_id.eq(&other)).execute(c))),
            ("created in another month", Box::new(|c| diesel::update(one(2)).set(startups::created_on.eq(day("2019-06-15"))).execute(c))),
            ("undated", Box::new(|c| diesel::update(one(3)).set(startups::created_on.eq(None::<NaiveDate>)).execute(c))),
            ("another latest phase", Box::new(|c| diesel::update(one(4)).set((startups::latest_phase_id.eq("abandon"), startups::latest_phase_start.eq(day("2021-03-31")))).execute(c))),
            ("latest phase undated", Box::new(|c| diesel::update(one(5)).set(startups::latest_phase_start.eq(None::<NaiveDate>)).execute(c))),
            ("the same values again", Box::new(|c| diesel::update(one(6)).set(startups::incubator_id.eq(startups::incubator_id)).execute(c))),
            ("many rows at once", Box::new(|c| diesel::update(startups::table.filter(startups::incubator_id.eq(&other))).set(startups::created_on.eq(day("2016-01-01"))).execute(c))),
            ("one deleted", Box::new(|c| diesel::delete(one(7)).execute(c))),
            ("a phase row moved", Box::new(|c| diesel::update(row(0)).set((startup_phases::start_date.eq(day("2019-06-10")), startup_phases::next_start.eq(day("2021-03-15")))).execute(c))),
            ("a phase row renamed", Box::new(|c| diesel::update(row(1)).set(startup_phases::phase_id.eq("abandon")).execute(c))),
            ("a phase row closed the day it opened", Box::new(|c| diesel::update(row(2)).set(startup_phases::next_start.eq(startup_phases::start_date.nullable())).execute(c))),
            ("a phase row latest", Box::new(|c| diesel::update(row(3)).set(startup_phases::next_start.eq(None::<NaiveDate>)).execute(c))),
            ("a phase row deleted", Box::new(|c| diesel::delete(row(4)).execute(c))),
            ("many deleted", Box::new(|c| diesel::delete(startups::table.filter(startups::created_on.eq(day("2016-01-01")))).execute(c))),
        ];
        for (write, run) in writes {
            assert!(run(&mut conn).expect(write) > 0, "{write}: some rows written");
            assert_tallies_match(&mut conn, write);
        }
    }

    fn the_migration_tallies_the_startups_already_there(db) {
        let db = db.seeded();
        let mut conn = db.pool.get().expect("connection");
        import_later(&mut conn);
        // Down to before the tallies' migrations, whatever came after them.
        while !betadata::db::revert_last(&mut conn).expect("revert").ends_with("000016") {}
        diesel::update(startup_phases::table.filter(startup_phases::startup_id.eq("plus-tard")))
            .set(startup_phases::next_start.eq(day("2100-01-01")))
            .execute(&mut *conn)
            .expect("a phase row written without the triggers");
        diesel::delete(startups::table.filter(startups::id.eq("sans-date")))
            .execute(&mut *conn)
            .expect("delete without the triggers");
        betadata::db::migrate(&mut conn).expect("migrate again");
        assert_tallies_match(&mut conn, "backfilled");
    }

    fn content_tree_imports_are_tallied(db) {
        // An import counts once, after its rows (`tallies::counted_after`): a first import, a
        // second one that updates and prunes, then a write after them, counted as it writes.
        let mut conn = db.pool.get().expect("connection");
        let prune = sync::Options { prune: true, strict: false };
        for (version, options) in [("v1", sync::Options::default()), ("v2", prune)] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/content")
                .join(version);
            let files = read_tree(&root).expect("fixture tree");
            let outcome = sync::import(&mut conn, &files, options, &ProgressBar::hidden(), day("2026-11-24"))
                .expect("import");
            assert!(outcome.startups.created + outcome.startups.updated > 0, "{}", outcome.summary());
            assert_tallies_match(&mut conn, version);
        }
        let ids = some_startups(&mut conn, 1);
        diesel::delete(startups::table.filter(startups::id.eq(&ids[0])))
            .execute(&mut *conn)
            .expect("a delete after the imports");
        assert_tallies_match(&mut conn, "deleted after the imports");
    }

    fn generated_portfolios_are_tallied(db) {
        let mut conn = db.pool.get().expect("connection");
        let options = Options { startups: 400, observations: 100, seed: 5, progress: false };
        generate(&mut conn, &options).expect("generate");
        assert_tallies_match(&mut conn, "generated");
        // The load's dead versions of the totals' rows are gone: their rows fit in a page.
        if let DbConnection::Postgres(pg) = &mut *conn {
            for table in ["incubator_totals", "creation_year_totals", "latest_phase_totals"] {
                let pages: Pages = diesel::sql_query(format!(
                    "SELECT CAST(pg_relation_size('{table}') / 8192 AS BIGINT) AS pages"
                ))
                .get_result(pg)
                .expect("the table's size");
                assert_eq!(pages.pages, 1, "{table}");
            }
        }
    }
}
