//! How PostgreSQL plans the statements of a page (`db::plans`): once for all values for a page
//! of one incubator's startups in a phase, and for a search ranked from the search index; as
//! PostgreSQL chooses for any other.

use std::time::Duration;

use betadata::api::{AppState, app};
use betadata::db::{self, DbPool, PoolSettings};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::common::{self, TestDb};

#[derive(QueryableByName, Debug, PartialEq)]
struct Planned {
    #[diesel(sql_type = BigInt)]
    generic_plans: i64,
    #[diesel(sql_type = BigInt)]
    custom_plans: i64,
}

/// How often the kept statements of the pool's one connection whose text holds `part` were
/// planned generically and for their values, summed.
fn planned(pool: &DbPool, part: &str) -> Planned {
    let mut conn = pool.get().expect("the pool's connection");
    diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(generic_plans), 0) AS BIGINT) AS generic_plans, \
         CAST(COALESCE(SUM(custom_plans), 0) AS BIGINT) AS custom_plans \
         FROM pg_prepared_statements WHERE strpos(statement, $1) > 0",
    )
    .bind::<Text, _>(part)
    .get_result(&mut conn)
    .expect("pg_prepared_statements")
}

/// A pool of one connection, whose prepared statements are those of every request; handed out
/// unpinged, whatever the machine's speed.
fn pool_of_one(db: &TestDb) -> DbPool {
    let settings = PoolSettings {
        trusted_for: Duration::from_secs(60),
        ..PoolSettings::new(1)
    };
    db::open_pool(&db.url, settings).expect("a pool of one connection")
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn a_page_of_one_incubators_phase_is_planned_once_and_others_as_postgresql_chooses() {
    let db = TestDb::postgres().seeded();
    let pool = pool_of_one(&db);
    let app =
        actix_web::test::init_service(app(AppState::new(pool.clone()).with_cache_mib(0))).await;
    let ranged = "/api/v1/startups?incubator=sgmas&phase=transfere";
    let first = common::get(&app, ranged).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let ids: Vec<&str> = (first.body["data"].as_array().expect("data").iter())
        .map(|s| s["id"].as_str().expect("an id"))
        .collect();
    assert!(ids.contains(&"medle"), "{ids:?}");
    for _ in 0..3 {
        let again = common::get(&app, ranged).await;
        assert_eq!(again.body, first.body);
    }
    assert_eq!(first.body["meta"]["total"], ids.len(), "{}", first.body);
    // The total is read with the rows: no statement reads the list's shape.
    let shape = planned(&pool, "SELECT EXISTS");
    assert_eq!(shape.generic_plans + shape.custom_plans, 0, "{shape:?}");
    // A page without rows has its total counted apart.
    let none = common::get(&app, "/api/v1/startups?incubator=sgmas&phase=construction").await;
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(none.body["meta"]["total"], 0, "{}", none.body);
    assert_eq!(none.body["data"], serde_json::json!([]));
    // The rows' statement, run for five pages: PostgreSQL's own choice would plan each of them
    // for its values.
    let rows = "ORDER BY \"startups\".\"id\" ASC LIMIT";
    assert_eq!(
        planned(&pool, rows),
        Planned {
            generic_plans: 5,
            custom_plans: 0
        }
    );

    let created = "/api/v1/startups?incubator=sgmas&phase=transfere&created_after=2015-01-01";
    for _ in 0..3 {
        let page = common::get(&app, created).await;
        assert_eq!(page.status, 200, "{}", page.body);
    }
    // Its rows' and its count's statements.
    let created_on = planned(&pool, "\"startups\".\"created_on\" >=");
    assert_eq!(created_on.generic_plans, 0, "{created_on:?}");
    assert!(created_on.custom_plans >= 3, "{created_on:?}");
    // Back to one plan for all values.
    assert_eq!(common::get(&app, ranged).await.body, first.body);
    assert_eq!(
        planned(&pool, rows).custom_plans,
        3,
        "the created_after page's"
    );
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn the_portfolios_stats_are_planned_once_and_one_incubators_as_postgresql_chooses() {
    let db = TestDb::postgres().seeded();
    let pool = pool_of_one(&db);
    let app =
        actix_web::test::init_service(app(AppState::new(pool.clone()).with_cache_mib(0))).await;
    for uri in [
        "/api/v1/stats",
        "/api/v1/stats?as_of=2020-06-30",
        "/api/v1/stats",
    ] {
        let stats = common::get(&app, uri).await;
        assert_eq!(stats.status, 200, "{}", stats.body);
    }
    let every = planned(&pool, "");
    assert!(every.generic_plans > 0, "{every:?}");
    assert_eq!(every.custom_plans, 0, "{every:?}");
    let one = common::get(&app, "/api/v1/stats?incubator=sgmas").await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert!(
        planned(&pool, "").custom_plans > 0,
        "planned for its values"
    );
}

#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn a_search_ranked_from_the_index_reads_its_rows_planned_once() {
    let db = TestDb::postgres().seeded();
    let pool = pool_of_one(&db);
    let state = AppState::new(pool.clone()).with_cache_mib(0);
    let app = actix_web::test::init_service(app(state.clone())).await;
    // Its rows, read by id: the day, the line's limit, then the ids.
    let by_id = "\"startups\".\"id\" IN ($3";
    let search = "/api/v1/startups?q=sant%C3%A9";
    let first = common::get(&app, search).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.body["meta"]["total"].as_i64() > Some(1),
        "{}",
        first.body
    );
    // The first search starts the index's build, on the pool's one connection.
    common::wait_for_index(&state, &pool);
    // The first search to find the index current reads the search generation; those after it
    // at the same revision take the index as found.
    assert_eq!(common::get(&app, search).await.body, first.body);
    let before = planned(&pool, by_id);
    for _ in 0..3 {
        assert_eq!(common::get(&app, search).await.body, first.body);
    }
    let after = planned(&pool, by_id);
    assert_eq!(
        (
            after.generic_plans - before.generic_plans,
            after.custom_plans - before.custom_plans
        ),
        (3, 0),
        "{before:?} {after:?}"
    );
    // A search in an incubator reads its hits' ids, planned for its values.
    let filtered = planned(&pool, "\"startups\".\"incubator_id\" =");
    let one = common::get(&app, "/api/v1/startups?q=sant%C3%A9&incubator=sgmas").await;
    assert_eq!(one.status, 200, "{}", one.body);
    let filtered_after = planned(&pool, "\"startups\".\"incubator_id\" =");
    assert_eq!(filtered_after.generic_plans, filtered.generic_plans);
    assert!(
        filtered_after.custom_plans > filtered.custom_plans,
        "{filtered_after:?}"
    );
}
