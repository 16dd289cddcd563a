//! PostgreSQL connections that the server closes while they sit in the pool: a connection in
//! steady use is handed out without a ping, so the work on it finds it lost and is answered
//! 503, and the connection is closed rather than handed out again; one idle for longer than
//! `PoolSettings::trusted_for` is pinged first and replaced unseen.

use std::time::Duration;

use betadata::api::{AppState, app};
use betadata::db::{self, DbConnection, DbPool, PoolSettings, Unavailable};
use diesel::prelude::*;
use diesel::sql_types::Integer;

use crate::common::{self, TestDb};

fn backend_pid(conn: &mut DbConnection) -> QueryResult<i32> {
    diesel::select(diesel::dsl::sql::<Integer>("pg_backend_pid()")).get_result(conn)
}

fn pool_of_one(db: &TestDb, trusted_for: Duration) -> DbPool {
    let settings = PoolSettings {
        trusted_for,
        ..PoolSettings::new(1)
    };
    db::open_pool(&db.url, settings).expect("a pool of one connection")
}

/// Has the server close the connection of backend `pid`, and waits until it is gone.
fn terminate(db: &TestDb, pid: i32) {
    let mut admin = db.pool.get().expect("another connection");
    let query = format!("SELECT pg_terminate_backend({pid}, 5000)");
    let ended: bool = diesel::sql_query(query)
        .load::<Terminated>(&mut *admin)
        .expect("pg_terminate_backend")
        .first()
        .expect("a row")
        .ended;
    assert!(ended, "backend {pid} ended");
}

#[derive(QueryableByName)]
struct Terminated {
    #[diesel(sql_type = diesel::sql_types::Bool, column_name = "pg_terminate_backend")]
    ended: bool,
}

#[test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
fn a_lost_connection_in_use_is_closed_and_an_idle_one_replaced() {
    let db = TestDb::postgres();
    // Trusted for a minute: handed out again unpinged, whatever the machine's speed.
    let pool = pool_of_one(&db, Duration::from_secs(60));
    let first = backend_pid(&mut pool.get().expect("a connection")).expect("its backend");
    terminate(&db, first);
    let mut conn = pool.get().expect("the same connection, not pinged");
    let error = backend_pid(&mut conn).expect_err("the server closed it");
    assert!(
        matches!(Unavailable::classify(error), Ok(Unavailable::Lost(_))),
        "a lost connection"
    );
    // diesel's transaction manager gives up on it: the pool closes it as it goes back.
    drop(conn);
    let second = backend_pid(&mut pool.get().expect("a new connection")).expect("its backend");
    assert_ne!(first, second);

    // Trusted for no time: pinged at each hand-out, and replaced when it does not answer.
    let pool = pool_of_one(&db, Duration::ZERO);
    let first = backend_pid(&mut pool.get().expect("a connection")).expect("its backend");
    terminate(&db, first);
    let second = backend_pid(&mut pool.get().expect("a connection that answers"))
        .expect("a working connection, without an error first");
    assert_ne!(first, second);
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn a_request_on_a_lost_connection_gets_503_and_the_next_a_new_connection() {
    let db = TestDb::postgres().seeded();
    let pool = pool_of_one(&db, Duration::from_secs(60));
    let app =
        actix_web::test::init_service(app(AppState::new(pool.clone()).with_cache_mib(0))).await;
    let first = common::get(&app, "/api/v1/startups/aidantsconnect").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let pid = backend_pid(&mut pool.get().expect("the pool's connection")).expect("its backend");
    terminate(&db, pid);
    let lost = common::get(&app, "/api/v1/startups/aidantsconnect").await;
    common::assert_problem(&lost, 503);
    let again = common::get(&app, "/api/v1/startups/aidantsconnect").await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, first.body);
}
