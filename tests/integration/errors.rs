//! Every failure is RFC 9457 problem+json: unknown routes, wrong methods, bad parameters,
//! an unreachable database.

use crate::common;

use actix_web::http::Method;
use actix_web::test;
use betadata::api::{AppState, app};
use betadata::db::{self, DatabaseUrl};
use common::{assert_bad_parameter, assert_problem, both_backends, call, get};

both_backends! {
    fn unknown_routes_are_404_problems(db) {
        let app = test::init_service(app(db.state())).await;
        for uri in ["/api/v1/unicorns", "/api/v2/startups", "/nothing/here"] {
            assert_problem(&get(&app, uri).await, 404);
        }
    }

    fn wrong_methods_are_405_with_allow(db) {
        let app = test::init_service(app(db.state())).await;
        for (method, uri, allowed) in [
            (Method::PUT, "/api/v1/startups", "GET, HEAD, POST"),
            (Method::POST, "/api/v1/startups/medle", "GET, HEAD, PUT, PATCH, DELETE"),
            (Method::PUT, "/api/v1/phases/construction", "GET, HEAD"),
            (Method::PATCH, "/health", "GET, HEAD"),
        ] {
            let reply = call(&app, method, uri).await;
            assert_problem(&reply, 405);
            assert_eq!(reply.headers.get("allow").unwrap(), allowed, "{uri}");
        }
    }

    fn every_list_rejects_unknown_parameters(db) {
        let app = test::init_service(app(db.state())).await;
        for collection in ["startups", "incubators", "organisations", "phases", "metrics"] {
            let reply = get(&app, &format!("/api/v1/{collection}?sort_by=name")).await;
            assert_bad_parameter(&reply, "sort_by", collection);
        }
    }

    fn nul_characters_are_refused_before_the_database(db) {
        let db = db.seeded();
        let admin = common::issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        for uri in ["/api/v1/stats?incubator=a%00b", "/api/v1/startups?q=x%00", "/api/v1/phase-history?startup=%00"] {
            let reply = get(&app, uri).await;
            assert_problem(&reply, 400);
        }
        for uri in ["/api/v1/startups/a%00b", "/api/v1/incubators/%00", "/api/v1/metrics/x%00/observations"] {
            assert_problem(&get(&app, uri).await, 404);
        }
        let body = serde_json::json!({"id": "a\u{0}b", "name": "x"});
        let reply = common::send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&body), &[]).await;
        assert_problem(&reply, 422);
        assert_eq!(reply.pointers(), ["/id"]);
    }
}

#[actix_rt::test]
async fn an_unreachable_database_is_a_503_problem_without_internals() {
    // Nothing listens on port 9 (discard); the pool connects on first use so the app starts.
    let url = DatabaseUrl::parse("postgres://nobody:secret@127.0.0.1:9/none");
    let pool = db::open_pool(
        &url,
        db::PoolSettings {
            connection_timeout: std::time::Duration::from_millis(300),
            connect_at_start: false,
            ..db::PoolSettings::new(1)
        },
    )
    .expect("a pool that connects on first use");
    let app = test::init_service(app(AppState::new(pool))).await;
    for uri in ["/health", "/api/v1/startups"] {
        let reply = get(&app, uri).await;
        assert_problem(&reply, 503);
        assert!(reply.headers.contains_key("retry-after"));
        let text = reply.body.to_string();
        for secret in ["secret", "127.0.0.1", "postgres", "nobody"] {
            assert!(!text.contains(secret), "{uri} leaks `{secret}`: {text}");
        }
    }
}
