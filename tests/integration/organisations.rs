//! `/api/v1/organisations` and one organisation with what it takes part in, on both backends.

use crate::common;

use actix_web::test;
use betadata::api::app;
use common::{assert_bad_parameter, assert_problem, both_backends, collect_ids, get, page_through};

both_backends! {
    fn list_is_an_envelope_with_links_and_meta(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/organisations").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.content_type(), "application/json");
        let body = &reply.body;
        assert_eq!(body["meta"]["page_size"], 20);
        let total = body["meta"]["total"].as_i64().unwrap();
        assert!(total > 20, "{}", body["meta"]);
        assert_eq!(body["data"].as_array().map(Vec::len), Some(20));
        assert_eq!(body["links"]["self"], "http://localhost:8080/api/v1/organisations");
        assert!(body["links"]["next"].is_string());
        assert!(body["links"]["prev"].is_null());
        for organisation in body["data"].as_array().unwrap() {
            let kind = organisation["kind"].as_str().unwrap();
            assert!(
                ["administration-centrale", "operateur", "collectivite-territoriale", "autre"].contains(&kind),
                "{organisation}"
            );
            assert!(organisation["name"].is_string(), "{organisation}");
        }
    }

    fn following_next_visits_every_organisation_once_in_order(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let ids = page_through(&app, "/api/v1/organisations", 4).await;
        let whole = collect_ids(&app, "/api/v1/organisations?page_size=1000").await;
        assert_eq!(whole, ids, "one big page holds the same ids");
        assert!(ids.contains(&"dgs".to_owned()) && ids.contains(&"dinum".to_owned()));
    }

    fn item_has_its_fields_and_its_involvement(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/organisations/dgs").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let dgs = &reply.body;
        assert_eq!(dgs["id"], "dgs");
        assert_eq!(dgs["name"], "Direction générale de la santé");
        assert_eq!(dgs["acronym"], "DGS");
        assert_eq!(dgs["kind"], "administration-centrale");
        let sponsored = get(&app, "/api/v1/startups?sponsor=dgs").await.body;
        let expected = sponsored["meta"]["total"].as_i64().unwrap();
        assert!(expected > 0, "the DGS sponsors startups");
        assert_eq!(dgs["sponsored_startups"].as_i64(), Some(expected));
        let incubators = get(&app, "/api/v1/incubators?page_size=1000").await.body;
        let owned: Vec<&str> = incubators["data"].as_array().unwrap().iter()
            .filter(|i| i["owner"] == "dgs")
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        let listed: Vec<&str> = dgs["incubators"].as_array().expect("incubators").iter()
            .map(|i| i.as_str().unwrap())
            .collect();
        assert_eq!(listed, owned);
    }

    fn every_organisation_agrees_with_the_startups_and_incubators(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let incubators = get(&app, "/api/v1/incubators?page_size=1000").await.body;
        let mut owners_seen = 0;
        let mut sponsors_seen = 0;
        for id in collect_ids(&app, "/api/v1/organisations?page_size=1000").await {
            let reply = get(&app, &format!("/api/v1/organisations/{id}")).await;
            assert_eq!(reply.status, 200, "{id}: {}", reply.body);
            let organisation = &reply.body;
            let sponsored = get(&app, &format!("/api/v1/startups?sponsor={id}")).await.body;
            assert_eq!(
                organisation["sponsored_startups"], sponsored["meta"]["total"],
                "sponsored_startups of {id}"
            );
            let owned: Vec<&str> = incubators["data"].as_array().unwrap().iter()
                .filter(|i| i["owner"] == id.as_str())
                .map(|i| i["id"].as_str().unwrap())
                .collect();
            let listed: Vec<&str> = organisation["incubators"].as_array().unwrap().iter()
                .map(|i| i.as_str().unwrap())
                .collect();
            assert_eq!(listed, owned, "incubators of {id}");
            owners_seen += owned.len();
            sponsors_seen += usize::from(organisation["sponsored_startups"].as_i64().unwrap() > 0);
        }
        assert_eq!(owners_seen, incubators["data"].as_array().unwrap().len(), "each incubator has an owner");
        assert!(sponsors_seen > 5, "many organisations sponsor startups");
    }

    fn unknown_organisation_is_404_and_unknown_parameter_400(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/organisations/nope").await;
        assert_problem(&reply, 404);
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains("nope") && detail.contains("organisation"), "{detail}");
        for (uri, parameter) in [
            ("/api/v1/organisations?colour=blue", "colour"),
            ("/api/v1/organisations?kind=ministry", "kind"),
            ("/api/v1/organisations?page_size=1001", "page_size"),
            ("/api/v1/organisations?cursor=YTo", "cursor"),
        ] {
            let reply = get(&app, uri).await;
            assert_bad_parameter(&reply, parameter, uri);
        }
    }
}
