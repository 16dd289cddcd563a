//! `/api/v1/phases` and one phase, with how many startups are in each today, on both backends.

use crate::common;

use actix_web::test;
use betadata::api::app;
use common::{assert_bad_parameter, assert_problem, both_backends, get};

const PHASES: [&str; 8] = [
    "investigation",
    "construction",
    "acceleration",
    "consolidation",
    "transfere",
    "abandon",
    "abandon-investigation",
    "opere",
];

both_backends! {
    fn list_holds_the_eight_phases_in_order(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/phases").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.content_type(), "application/json");
        let body = &reply.body;
        let data = body["data"].as_array().unwrap();
        let ids: Vec<&str> = data.iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ids, PHASES);
        let orders: Vec<i64> = data.iter().map(|p| p["order"].as_i64().unwrap()).collect();
        assert_eq!(orders, (1..=8).collect::<Vec<i64>>());
        for (index, phase) in data.iter().enumerate() {
            let kind = if index < 4 { "active" } else { "exit" };
            assert_eq!(phase["kind"], kind, "{phase}");
            assert!(!phase["label"].as_str().unwrap().is_empty(), "{phase}");
            assert!(phase["description"].is_string(), "{phase}");
            assert!(phase["startups"].is_u64(), "{phase}");
        }
        assert_eq!(body["meta"]["total"], 8);
        assert!(body["links"]["next"].is_null() && body["links"]["prev"].is_null());
        assert_eq!(body["links"]["self"], "http://localhost:8080/api/v1/phases");
    }

    fn counts_add_up_to_the_startups_with_a_current_phase(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let phases = get(&app, "/api/v1/phases").await.body;
        let counted: u64 = phases["data"].as_array().unwrap().iter()
            .map(|p| p["startups"].as_u64().unwrap())
            .sum();
        let startups = get(&app, "/api/v1/startups?page_size=1000").await.body;
        let data = startups["data"].as_array().unwrap();
        assert_eq!(data.len() as u64, startups["meta"]["total"].as_u64().unwrap(), "one page holds all");
        let with_phase = data.iter().filter(|s| !s["current_phase"].is_null()).count() as u64;
        assert!(with_phase > 0);
        assert_eq!(counted, with_phase);
    }

    fn item_is_the_phase_with_the_count_of_the_list(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/phases/construction").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let construction = &reply.body;
        assert_eq!(construction["id"], "construction");
        assert_eq!(construction["order"], 2);
        assert_eq!(construction["kind"], "active");
        let list = get(&app, "/api/v1/phases").await.body;
        assert_eq!(construction, &list["data"][1], "the item is the list's entry");
        let startups = get(&app, "/api/v1/startups?phase=construction&page_size=1000").await.body;
        assert_eq!(construction["startups"], startups["meta"]["total"]);
        for id in PHASES {
            let item = get(&app, &format!("/api/v1/phases/{id}")).await;
            assert_eq!(item.status, 200, "{id}: {}", item.body);
            assert_eq!(item.body["id"], id);
        }
    }

    fn unknown_phase_is_404(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/phases/flying").await;
        assert_problem(&reply, 404);
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains("flying") && detail.contains("phase"), "{detail}");
    }

    fn list_takes_no_paging_parameter(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for (uri, parameter) in [
            ("/api/v1/phases?page_size=5", "page_size"),
            ("/api/v1/phases?cursor=YTpi", "cursor"),
            ("/api/v1/phases?kind=exit", "kind"),
        ] {
            let reply = get(&app, uri).await;
            assert_bad_parameter(&reply, parameter, uri);
            let detail = reply.body["errors"][0]["detail"].as_str().unwrap();
            assert!(detail.ends_with("allowed: format"), "{uri}: {detail}");
        }
    }
}
