//! The latest phase kept on each startup (`latest_phase_id`, `latest_phase_start`) and the
//! other columns derived from the phase history agree with the history after every kind of
//! write (seed import, generator, migration backfill), and the phase filter, its total and the
//! phase counts built on them give what the per-row definition gives, on any day, with phases
//! dated in the future, on both backends.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use actix_web::test;
use betadata::api::app;
use betadata::db::DbConnection;
use betadata::db::schema::{startup_phases, startups};
use betadata::generate::{Options, generate};
use chrono::NaiveDate;
use common::{both_backends, collect_ids, get};
use diesel::prelude::*;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

/// Two startups of the seeds' incubator `sgmas` with phases dated in the future: one started
/// and moving on in 2099, one that starts only then.
const FUTURE: &str = r#"
- id: demain
  name: Demain
  pitch: Une startup dont la phase suivante est déjà datée.
  incubator: sgmas
  phases:
    - phase: investigation
      start: "01-03-2021"
    - phase: construction
      start: "01-09-2099"
- id: plus-tard
  name: Plus tard
  pitch: Une startup qui ne commence qu'en 2099.
  incubator: sgmas
  phases:
    - phase: investigation
      start: "01-01-2099"
"#;

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

/// Every startup's phase rows, `(phase, start, next_start)`, by start; startups without any
/// phase are there with none.
fn histories(
    conn: &mut DbConnection,
) -> BTreeMap<String, Vec<(String, NaiveDate, Option<NaiveDate>)>> {
    let mut by_id: BTreeMap<String, Vec<_>> = startups::table
        .select(startups::id)
        .load::<String>(conn)
        .expect("startups")
        .into_iter()
        .map(|id| (id, Vec::new()))
        .collect();
    let rows: Vec<(String, String, NaiveDate, Option<NaiveDate>)> = startup_phases::table
        .order((startup_phases::startup_id, startup_phases::start_date))
        .select((
            startup_phases::startup_id,
            startup_phases::phase_id,
            startup_phases::start_date,
            startup_phases::next_start,
        ))
        .load(conn)
        .expect("phase rows");
    for (id, phase, start, next) in rows {
        by_id.entry(id).or_default().push((phase, start, next));
    }
    by_id
}

/// A startup's id, `created_on`, `latest_phase_id` and `latest_phase_start`.
type DerivedColumns = (String, Option<NaiveDate>, Option<String>, Option<NaiveDate>);

/// Asserts that every column derived from the phase history holds what the history says.
fn assert_derived_columns_match(conn: &mut DbConnection, context: &str) {
    let stored: Vec<DerivedColumns> = startups::table
        .select((
            startups::id,
            startups::created_on,
            startups::latest_phase_id,
            startups::latest_phase_start,
        ))
        .load(conn)
        .expect("startups");
    let histories = histories(conn);
    assert!(!stored.is_empty(), "{context}: some startups");
    for (id, created_on, latest_id, latest_start) in stored {
        let history = &histories[&id];
        let first = history.first().map(|(_, start, _)| *start);
        let last = history.last();
        assert_eq!(created_on, first, "{context}: {id}: created_on");
        assert_eq!(
            latest_id.as_ref(),
            last.map(|(phase, _, _)| phase),
            "{context}: {id}: latest_phase_id"
        );
        assert_eq!(
            latest_start,
            last.map(|(_, start, _)| *start),
            "{context}: {id}: latest_phase_start"
        );
        for (row, following) in history
            .iter()
            .zip(history.iter().skip(1).map(Some).chain([None]))
        {
            assert_eq!(
                row.2,
                following.map(|f| f.1),
                "{context}: {id}: next_start of {row:?}"
            );
        }
    }
}

/// The phase of each startup on `on`, by the per-row definition: the phase of its row with the
/// greatest start on or before that day; `None` before its first phase.
fn phases_on(conn: &mut DbConnection, on: NaiveDate) -> BTreeMap<String, Option<String>> {
    histories(conn)
        .into_iter()
        .map(|(id, history)| {
            let current = history
                .iter()
                .rfind(|(_, start, _)| *start <= on)
                .map(|(phase, _, _)| phase.clone());
            (id, current)
        })
        .collect()
}

fn incubator_of(conn: &mut DbConnection) -> BTreeMap<String, Option<String>> {
    startups::table
        .select((startups::id, startups::incubator_id))
        .load::<(String, Option<String>)>(conn)
        .expect("incubators")
        .into_iter()
        .collect()
}

fn import_future(conn: &mut DbConnection) {
    common::import_startups(conn, "future/startups.yaml", FUTURE, 2);
}

/// Reverts the migrations down to and including the one that adds the latest phase, then
/// applies them again: the backfill of its `up.sql` runs over the data already there.
fn rerun_latest_phase_migration(conn: &mut DbConnection, backend: &str) {
    const LATEST_PHASE: &str = "20261124000004";
    let folder = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    let migrations = || FileBasedMigrations::from_path(&folder).expect("migrations folder");
    loop {
        let reverted = match conn {
            DbConnection::Sqlite(c) => c.revert_last_migration(migrations()),
            DbConnection::Postgres(c) => c.revert_last_migration(migrations()),
        }
        .expect("revert")
        .to_string();
        if reverted.as_str() <= LATEST_PHASE {
            assert_eq!(reverted, LATEST_PHASE);
            break;
        }
    }
    let gone = startups::table
        .select(startups::latest_phase_id)
        .first::<Option<String>>(conn);
    assert!(gone.is_err(), "the column was dropped: {gone:?}");
    betadata::db::migrate(conn).expect("migrate again");
}

/// Checks the phase filter, its total and the phase counts against [`phases_on`] for several
/// days and filters.
async fn assert_phase_queries_match<S, B>(app: &S, conn: &mut DbConnection, days: &[&str])
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let incubators = incubator_of(conn);
    let today = chrono::Utc::now().date_naive();
    for &on in days {
        let (on, as_of) = match on {
            "today" => (today, String::new()),
            other => (day(other), format!("&as_of={other}")),
        };
        let current = phases_on(conn, on);
        for phases in [
            "construction",
            "investigation",
            "construction,investigation,transfere",
        ] {
            let wanted: BTreeSet<&str> = phases.split(',').collect();
            for incubator in [None, Some("sgmas")] {
                let expected: Vec<String> = current
                    .iter()
                    .filter(|(_, phase)| phase.as_deref().is_some_and(|p| wanted.contains(p)))
                    .filter(|(id, _)| {
                        incubator.is_none() || incubators[*id].as_deref() == incubator
                    })
                    .map(|(id, _)| id.clone())
                    .collect();
                let filter = incubator
                    .map(|i| format!("&incubator={i}"))
                    .unwrap_or_default();
                let uri = format!("/api/v1/startups?phase={phases}{filter}{as_of}&page_size=7");
                let first = get(app, &uri).await;
                assert_eq!(first.status, 200, "{uri}: {}", first.body);
                assert_eq!(
                    first.body["meta"]["total"].as_u64(),
                    Some(expected.len() as u64),
                    "{uri}: meta.total"
                );
                assert_eq!(collect_ids(app, &uri).await, expected, "{uri}: rows");
            }
        }
        for incubator in [None, Some("sgmas")] {
            let mut expected: BTreeMap<String, u64> = BTreeMap::new();
            for (id, phase) in &current {
                if let Some(phase) = phase
                    && (incubator.is_none() || incubators[id].as_deref() == incubator)
                {
                    *expected.entry(phase.clone()).or_default() += 1;
                }
            }
            let filter = incubator
                .map(|i| format!("&incubator={i}"))
                .unwrap_or_default();
            let uri = format!("/api/v1/stats?as_of={on}{filter}");
            let stats = get(app, &uri).await;
            assert_eq!(stats.status, 200, "{uri}: {}", stats.body);
            let got: BTreeMap<String, u64> = stats.body["startups_by_phase"]
                .as_object()
                .expect("startups_by_phase")
                .iter()
                .map(|(phase, n)| (phase.clone(), n.as_u64().expect("a count")))
                .collect();
            assert_eq!(got, expected, "{uri}: startups_by_phase");
        }
    }
}

/// Days around the seeds' history and the future-dated phases.
const DAYS: [&str; 6] = [
    "today",
    "2019-06-01",
    "2021-03-01",
    "2023-01-01",
    "2099-06-01",
    "2100-01-01",
];

both_backends! {
    fn imported_histories_keep_their_latest_phase(db) {
        let db = db.seeded();
        let mut conn = db.pool.get().expect("connection");
        assert_derived_columns_match(&mut conn, "seeded");
        import_future(&mut conn);
        assert_derived_columns_match(&mut conn, "imported");
        let demain: (Option<String>, Option<NaiveDate>) = startups::table
            .find("demain")
            .select((startups::latest_phase_id, startups::latest_phase_start))
            .first(&mut *conn)
            .expect("demain");
        assert_eq!(demain, (Some("construction".into()), Some(day("2099-09-01"))));
        let app = test::init_service(app(db.state())).await;
        assert_phase_queries_match(&app, &mut conn, &DAYS).await;
        // Today, `demain` is still investigating: its latest phase has not started.
        let building = collect_ids(&app, "/api/v1/startups?phase=investigation&incubator=sgmas").await;
        assert!(building.contains(&"demain".to_owned()), "{building:?}");
    }

    fn the_migration_backfills_the_latest_phase(db) {
        let db = db.seeded();
        let mut conn = db.pool.get().expect("connection");
        import_future(&mut conn);
        rerun_latest_phase_migration(&mut conn, db.url.backend());
        assert_derived_columns_match(&mut conn, "backfilled");
        let app = test::init_service(app(db.state())).await;
        assert_phase_queries_match(&app, &mut conn, &["today", "2019-06-01", "2099-06-01"]).await;
    }

    fn generated_histories_keep_their_latest_phase(db) {
        let mut conn = db.pool.get().expect("connection");
        let options = Options { startups: 300, observations: 3_000, seed: 3, progress: false };
        generate(&mut conn, &options).expect("generate");
        assert_derived_columns_match(&mut conn, "generated");
        let app = test::init_service(app(db.state())).await;
        assert_phase_queries_match(&app, &mut conn, &["today", "2016-01-01", "2020-06-15"]).await;
    }
}
