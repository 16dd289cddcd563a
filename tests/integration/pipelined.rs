//! On PostgreSQL on this machine, one startup, a page of one incubator's startups in a phase,
//! and today's figures of the whole portfolio, are read on the HTTP worker's own connection,
//! the reads of concurrent requests pipelined on it (`db::pipelined`); a connection cut off
//! loses no read, and is opened again.

use actix_web::test;
use betadata::api::{AppState, app};
use betadata::db::pipelined::Pipelined;
use betadata::db::stats::{self, Scope};
use diesel::QueryableByName;
use diesel::sql_types::{Integer, Text};
use futures_util::future::join_all;

use crate::common::{TestDb, execute_around, get_text, refresh_startups};

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    statement_timeout: String,
    #[diesel(sql_type = Text)]
    plan_cache_mode: String,
}

/// The one row `sql` selects, asked on this worker's pipelined connection.
async fn ask<T>(pipelined: &Pipelined, sql: &str) -> T
where
    T: QueryableByName<diesel::pg::Pg> + Send + 'static,
{
    pipelined
        .read(async |mut conn| {
            diesel_async::RunQueryDsl::get_result::<T>(diesel::sql_query(sql), &mut conn).await
        })
        .await
        .expect("a pipelined connection")
}

/// A seeded PostgreSQL database whose startups' items are stored, and a state serving it
/// without its response cache.
fn seeded_with_items() -> (TestDb, AppState) {
    let db = TestDb::postgres().seeded();
    refresh_startups(&db);
    let state = AppState::new(db.pool.clone()).with_cache_mib(0);
    (db, state)
}

/// The server process behind this worker's pipelined connection, asked on it.
async fn backend_pid(pipelined: &Pipelined) -> i32 {
    ask::<Pid>(pipelined, "SELECT pg_backend_pid() AS pid")
        .await
        .pid
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn one_startup_is_read_on_the_workers_connection_pipelined_with_the_others() {
    let (db, state) = seeded_with_items();
    let app = test::init_service(app(state.clone())).await;
    let pipelined = state
        .pipelined()
        .expect("the test server is on this machine");
    let stored = get_text(&app, "/api/v1/startups/medle").await;
    assert_eq!(stored.0, 200);
    assert_eq!((pipelined.opened(), pipelined.reads()), (1, 1));
    // Concurrent requests of one worker share its connection: their reads are pipelined.
    let ids = ["medle", "dora", "tremplin", "medle", "no-such-startup"];
    let uris = ids.map(|id| format!("/api/v1/startups/{id}"));
    let answers = join_all(uris.iter().map(|uri| get_text(&app, uri))).await;
    assert_eq!(answers[0], stored);
    assert_eq!(answers[3], stored);
    assert_eq!(
        answers.iter().map(|a| a.0).collect::<Vec<_>>(),
        [200, 200, 200, 200, 404]
    );
    assert_eq!((pipelined.opened(), pipelined.reads()), (1, 6));
    // The same bytes as the rows render, read from the pool.
    execute_around(
        &db,
        "INSERT INTO startup_lines_stale (startup_id) VALUES ('medle')",
    );
    assert_eq!(get_text(&app, "/api/v1/startups/medle").await, stored);
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn a_pipelined_connection_cut_off_loses_no_read_and_is_opened_again() {
    let (db, state) = seeded_with_items();
    let app = test::init_service(app(state.clone())).await;
    let pipelined = state
        .pipelined()
        .expect("the test server is on this machine");
    let stored = get_text(&app, "/api/v1/startups/medle").await;
    let pid = backend_pid(pipelined).await;
    let terminated = execute_around(
        &db,
        &format!("SELECT pg_terminate_backend({pid}) FROM pg_stat_activity WHERE pid = {pid}"),
    );
    assert_eq!(terminated, 1);
    // The read that finds it cut off is read again from the pool; the next opens another.
    assert_eq!(get_text(&app, "/api/v1/startups/medle").await, stored);
    assert_eq!(get_text(&app, "/api/v1/startups/medle").await, stored);
    assert_eq!(pipelined.opened(), 2);
    assert_ne!(backend_pid(pipelined).await, pid);
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn a_pipelined_statement_is_cancelled_at_the_pools_limit() {
    let db = TestDb::postgres();
    let settings = betadata::db::PoolSettings {
        statement_timeout: Some(std::time::Duration::from_millis(1500)),
        ..betadata::db::PoolSettings::new(1)
    };
    let pool = betadata::db::open_pool(&db.url, settings).expect("a pool");
    let pipelined = pool
        .pipelined()
        .expect("the test server is on this machine");
    let sql = "SELECT current_setting('statement_timeout') AS statement_timeout, \
               current_setting('plan_cache_mode') AS plan_cache_mode";
    let setting = ask::<Setting>(&pipelined, sql).await;
    assert_eq!(setting.statement_timeout, "1500ms");
    // Planned once for all values, as the pool's connections plan a page in a range.
    assert_eq!(setting.plan_cache_mode, "force_generic_plan");
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn a_page_of_an_incubators_startups_in_a_phase_is_read_on_the_workers_connection() {
    let (db, state) = seeded_with_items();
    let app = test::init_service(app(state.clone())).await;
    let pipelined = state
        .pipelined()
        .expect("the test server is on this machine");
    let uri = "/api/v1/startups?incubator=sgmas&phase=transfere&page_size=2";
    let first = get_text(&app, uri).await;
    assert_eq!(first.0, 200, "{}", first.2);
    assert_eq!(pipelined.reads(), 1);
    let page: serde_json::Value = serde_json::from_str(&first.2).expect("JSON");
    assert_eq!(page["meta"]["total"], 5);
    // Its next page and the one before it too, with the same bytes as the first.
    let next = page["links"]["next"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = get_text(&app, &next).await;
    let page: serde_json::Value = serde_json::from_str(&second.2).expect("JSON");
    let prev = page["links"]["prev"].as_str().expect("a page before");
    let before: serde_json::Value =
        serde_json::from_str(&get_text(&app, prev).await.2).expect("JSON");
    let first_page: serde_json::Value = serde_json::from_str(&first.2).expect("JSON");
    assert_eq!(before["data"], first_page["data"]);
    assert_eq!(pipelined.reads(), 3);
    // Another sort is planned for its values, from the pool.
    let by_name = get_text(&app, &format!("{uri}&sort=name")).await;
    assert_eq!(by_name.0, 200);
    assert_eq!(pipelined.reads(), 3);
    // A page with an item whose line is gone is read again from the pool, which renders that
    // item from its rows: the same bytes as the stored lines.
    let ids: Vec<String> = first_page["data"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect();
    let gone = format!("DELETE FROM startup_lines WHERE startup_id = '{}'", ids[1]);
    assert_eq!(execute_around(&db, &gone), 1);
    assert_eq!(get_text(&app, uri).await, first);
    assert_eq!(get_text(&app, &next).await, second);
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn todays_figures_of_the_whole_portfolio_are_read_on_the_workers_connection() {
    let (db, state) = seeded_with_items();
    let app = test::init_service(app(state.clone())).await;
    let pipelined = state
        .pipelined()
        .expect("the test server is on this machine");
    let today = state.today();
    // Read from the pool part by part, as for a day in the past.
    let from_pool = || {
        let mut conn = db.pool.get().expect("a connection");
        let tomorrow = today.succ_opt().expect("a day after today");
        stats::portfolio(&mut conn, &Scope::default(), today, tomorrow).expect("figures")
    };
    let read = async || {
        (pipelined.read(async |conn| stats::today_pipelined(conn, today).await))
            .await
            .expect("a pipelined connection")
    };
    let co_incubated = "INSERT INTO startup_incubators (startup_id, position, incubator_id) \
                        VALUES ('medle', 0, 'pole-emploi'), ('dora', 0, 'pole-emploi')";
    assert_eq!(execute_around(&db, co_incubated), 2);
    let before = from_pool();
    assert_eq!(before.co_incubated["pole-emploi"], 2, "{before:?}");
    assert_eq!(read().await, before);
    assert_eq!(pipelined.reads(), 1);
    // Over HTTP, without a day or an incubator.
    let figures = |(status, _, body): (u16, String, String)| {
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).expect("JSON")
    };
    let answer = figures(get_text(&app, "/api/v1/stats").await);
    assert_eq!(pipelined.reads(), 2);
    let by_phase = serde_json::to_value(&before.by_phase).expect("JSON");
    assert_eq!(answer["startups_by_phase"], by_phase);
    // A day, or one incubator, is read from the pool.
    figures(get_text(&app, &format!("/api/v1/stats?as_of={today}")).await);
    figures(get_text(&app, "/api/v1/stats?incubator=sgmas").await);
    assert_eq!(pipelined.reads(), 2);
    // A write made around the API is in the next answer.
    let moved = "UPDATE startups SET incubator_id = NULL, latest_phase_id = 'abandon' \
                 WHERE id = 'medle'";
    assert_eq!(execute_around(&db, moved), 1);
    let after = from_pool();
    assert_ne!(after, before);
    assert_eq!(read().await, after);
    let answer = figures(get_text(&app, "/api/v1/stats").await);
    let by_phase = serde_json::to_value(&after.by_phase).expect("JSON");
    assert_eq!(answer["startups_by_phase"], by_phase);
    assert_eq!(pipelined.reads(), 4);
}
