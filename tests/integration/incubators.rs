//! `/api/v1/incubators`, one incubator and its startups, on both backends.

use crate::common;

use std::collections::BTreeMap;

use actix_web::test;
use betadata::api::app;
use common::{assert_bad_parameter, assert_problem, both_backends, collect_ids, get, page_through};

both_backends! {
    fn list_is_an_envelope_with_links_and_meta(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/incubators?page_size=2").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.content_type(), "application/json");
        let body = &reply.body;
        assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
        assert_eq!(body["meta"]["page_size"], 2);
        assert!(body["meta"]["total"].as_i64().unwrap() > 2, "{}", body["meta"]);
        assert_eq!(body["links"]["self"], "http://localhost:8080/api/v1/incubators?page_size=2");
        assert!(body["links"]["next"].is_string());
        assert!(body["links"]["prev"].is_null());
        let first = &body["data"][0];
        for field in ["id", "title"] {
            assert!(first[field].is_string(), "{field} in {first}");
        }
        let link = reply.headers.get("link").and_then(|l| l.to_str().ok()).unwrap_or_default();
        assert!(link.contains("rel=\"next\""), "{link}");
    }

    fn following_next_visits_every_incubator_once_in_order(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let ids = page_through(&app, "/api/v1/incubators", 2).await;
        for id in ["sgmas", "dinum", "pole-emploi"] {
            assert!(ids.contains(&id.to_owned()), "{id} in {ids:?}");
        }
    }

    fn item_counts_its_startups_by_current_phase(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/incubators/sgmas").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let sgmas = &reply.body;
        assert_eq!(sgmas["id"], "sgmas");
        assert_eq!(sgmas["owner"], "solidarite-sante");
        assert_eq!(sgmas["title"], "Fabrique numérique des ministères sociaux");
        let startups = get(&app, "/api/v1/startups?incubator=sgmas&page_size=1000").await.body;
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for startup in startups["data"].as_array().unwrap() {
            assert_eq!(startup["incubator"], "sgmas");
            if let Some(phase) = startup["current_phase"].as_str() {
                *expected.entry(phase.to_owned()).or_default() += 1;
            }
        }
        assert!(!expected.is_empty(), "the Fabrique's startups have current phases");
        let got: BTreeMap<String, u64> = sgmas["startups_by_phase"].as_object()
            .expect("startups_by_phase is an object")
            .iter()
            .map(|(phase, count)| (phase.clone(), count.as_u64().expect("a count")))
            .collect();
        assert_eq!(got, expected, "startups_by_phase of sgmas");
    }

    fn every_incubator_counts_like_the_startup_list(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let startups = get(&app, "/api/v1/startups?page_size=1000").await.body;
        for id in collect_ids(&app, "/api/v1/incubators").await {
            let mut expected: BTreeMap<String, u64> = BTreeMap::new();
            for startup in startups["data"].as_array().unwrap().iter().filter(|s| s["incubator"] == id.as_str()) {
                if let Some(phase) = startup["current_phase"].as_str() {
                    *expected.entry(phase.to_owned()).or_default() += 1;
                }
            }
            let item = get(&app, &format!("/api/v1/incubators/{id}")).await;
            assert_eq!(item.status, 200, "{id}: {}", item.body);
            let got: BTreeMap<String, u64> = item.body["startups_by_phase"].as_object().unwrap()
                .iter()
                .map(|(phase, count)| (phase.clone(), count.as_u64().unwrap()))
                .collect();
            assert_eq!(got, expected, "startups_by_phase of {id}");
        }
    }

    fn startups_sub_resource_matches_the_incubator_filter(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let expected = collect_ids(&app, "/api/v1/startups?incubator=sgmas").await;
        assert!(expected.len() > 3, "{expected:?}");
        let got = collect_ids(&app, "/api/v1/incubators/sgmas/startups").await;
        assert_eq!(got, expected);
        let paged = collect_ids(&app, "/api/v1/incubators/sgmas/startups?page_size=3").await;
        assert_eq!(paged, expected, "paging the sub-resource gives the same ids");
        let reply = get(&app, "/api/v1/incubators/sgmas/startups?page_size=3").await;
        let total = reply.body["meta"]["total"].as_u64().unwrap();
        assert_eq!(total as usize, expected.len());
        let next = reply.body["links"]["next"].as_str().unwrap();
        assert!(next.starts_with("http://localhost:8080/api/v1/incubators/sgmas/startups?"), "{next}");
    }

    fn startups_sub_resource_takes_the_other_filters(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for filter in ["phase=transfere", "phase=transfere,abandon", "sponsor=dgs"] {
            let expected = collect_ids(&app, &format!("/api/v1/startups?incubator=sgmas&{filter}")).await;
            let got = collect_ids(&app, &format!("/api/v1/incubators/sgmas/startups?{filter}")).await;
            assert_eq!(got, expected, "{filter}");
            assert!(!got.is_empty(), "{filter} keeps some startup of sgmas");
        }
        let all = collect_ids(&app, "/api/v1/incubators/sgmas/startups").await;
        let transferred = collect_ids(&app, "/api/v1/incubators/sgmas/startups?phase=transfere").await;
        assert!(transferred.len() < all.len(), "the phase filter keeps fewer");
        let outside = collect_ids(&app, "/api/v1/incubators/pole-emploi/startups").await;
        assert!(outside.iter().all(|id| !all.contains(id)), "{outside:?}");
    }

    fn incubator_parameter_is_refused_on_the_sub_resource(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for uri in [
            "/api/v1/incubators/sgmas/startups?incubator=dinum",
            "/api/v1/incubators/sgmas/startups?incubator=sgmas",
        ] {
            let reply = get(&app, uri).await;
            assert_bad_parameter(&reply, "incubator", uri);
        }
    }

    fn unknown_parameters_are_400(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for (uri, parameter) in [
            ("/api/v1/incubators?colour=blue", "colour"),
            ("/api/v1/incubators?phase=construction", "phase"),
            ("/api/v1/incubators?page_size=0", "page_size"),
            ("/api/v1/incubators?cursor=not-a-cursor", "cursor"),
            ("/api/v1/incubators/sgmas/startups?colour=blue", "colour"),
            ("/api/v1/incubators/sgmas/startups?phase=flying", "phase"),
        ] {
            let reply = get(&app, uri).await;
            assert_bad_parameter(&reply, parameter, uri);
        }
    }

    fn unknown_incubator_is_404(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for uri in ["/api/v1/incubators/nope", "/api/v1/incubators/nope/startups"] {
            let reply = get(&app, uri).await;
            assert_problem(&reply, 404);
            let detail = reply.body["detail"].as_str().unwrap();
            assert!(detail.contains("nope") && detail.contains("incubator"), "{uri}: {detail}");
        }
    }
}
