//! `/api/v1/metrics`, one metric and its observations, on both backends.

use crate::common;

use actix_web::test;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use betadata::api::app;
use common::{assert_bad_parameter, assert_problem, both_backends, collect_ids, get, page_through};

/// The metric of the seeds with the most observations.
const SERIES: &str = "membres-actifs";

both_backends! {
    fn list_is_an_envelope_with_links_and_meta(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/metrics").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.content_type(), "application/json");
        let body = &reply.body;
        assert_eq!(body["meta"]["page_size"], 20);
        assert!(body["meta"]["total"].as_i64().unwrap() > 20, "{}", body["meta"]);
        assert_eq!(body["data"].as_array().map(Vec::len), Some(20));
        assert_eq!(body["links"]["self"], "http://localhost:8080/api/v1/metrics");
        assert!(body["links"]["next"].is_string());
        assert!(body["links"]["prev"].is_null());
        for metric in body["data"].as_array().unwrap() {
            assert!(metric["label"].is_string() && metric["unit"].is_string(), "{metric}");
        }
    }

    fn following_next_visits_every_metric_once_in_order(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let ids = page_through(&app, "/api/v1/metrics", 7).await;
        assert!(ids.contains(&SERIES.to_owned()));
    }

    fn startup_filter_keeps_only_its_metrics(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let all = get(&app, "/api/v1/metrics?page_size=1000").await.body;
        let expected: Vec<&str> = all["data"].as_array().unwrap().iter()
            .filter(|m| m["startup"] == "medle")
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert!(!expected.is_empty(), "Medlé publishes figures");
        let reply = get(&app, "/api/v1/metrics?startup=medle").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let data = reply.body["data"].as_array().unwrap();
        assert!(data.iter().all(|m| m["startup"] == "medle"), "{}", reply.body);
        let got: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(got, expected);
        assert_eq!(reply.body["meta"]["total"].as_u64(), Some(expected.len() as u64));
        assert!((all["data"].as_array().unwrap().len()) > expected.len(), "the filter drops some");
        let paged = collect_ids(&app, "/api/v1/metrics?startup=medle&page_size=1").await;
        assert_eq!(paged, expected, "the filter holds across pages");
        let none = get(&app, "/api/v1/metrics?startup=nowhere").await;
        assert_eq!(none.status, 200);
        assert_eq!(none.body["meta"]["total"], 0);
        assert_eq!(none.body["data"].as_array().map(Vec::len), Some(0));
    }

    fn latest_is_the_last_observation(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let list = get(&app, "/api/v1/metrics?page_size=1000").await.body;
        let mut with_latest = 0;
        for listed in list["data"].as_array().unwrap() {
            let id = listed["id"].as_str().unwrap();
            let item = get(&app, &format!("/api/v1/metrics/{id}")).await;
            assert_eq!(item.status, 200, "{id}: {}", item.body);
            assert_eq!(&item.body, listed, "the item is the list's entry for {id}");
            let observations = get(&app, &format!("/api/v1/metrics/{id}/observations?page_size=1000")).await;
            assert_eq!(observations.status, 200, "{id}: {}", observations.body);
            let data = observations.body["data"].as_array().unwrap();
            match data.last() {
                Some(last) => {
                    assert_eq!(&item.body["latest"], last, "latest of {id}");
                    with_latest += 1;
                }
                None => assert!(item.body["latest"].is_null(), "latest of {id}"),
            }
        }
        assert!(with_latest > 0);
        let series = get(&app, &format!("/api/v1/metrics/{SERIES}")).await.body;
        let first = get(&app, &format!("/api/v1/metrics/{SERIES}/observations?page_size=1")).await.body;
        assert_ne!(series["latest"], first["data"][0], "latest is not the oldest observation");
    }

    fn observations_page_by_ascending_date(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let whole = get(&app, &format!("/api/v1/metrics/{SERIES}/observations?page_size=1000")).await.body;
        let total = whole["meta"]["total"].as_u64().unwrap();
        assert!(total >= 3, "{SERIES} is a series: {whole}");
        let mut seen = Vec::new();
        let mut pages = 0;
        let mut next = Some(format!("/api/v1/metrics/{SERIES}/observations?page_size=1"));
        while let Some(uri) = next.take() {
            let reply = get(&app, &uri).await;
            assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
            let data = reply.body["data"].as_array().unwrap();
            assert_eq!(data.len(), 1, "{uri}");
            assert_eq!(reply.body["meta"]["total"].as_u64(), Some(total), "{uri}");
            assert_eq!(reply.body["links"]["prev"].is_null(), pages == 0, "{uri}");
            seen.extend(data.iter().cloned());
            pages += 1;
            assert!(pages <= total, "links.next never ends");
            next = reply.body["links"]["next"]
                .as_str()
                .map(|u| u.trim_start_matches("http://localhost:8080").to_owned());
        }
        assert_eq!(seen.len() as u64, total);
        assert_eq!(&seen, whole["data"].as_array().unwrap(), "pages hold the whole series");
        let dates: Vec<&str> = seen.iter().map(|o| o["date"].as_str().unwrap()).collect();
        assert!(dates.windows(2).all(|w| w[0] < w[1]), "dates strictly increase: {dates:?}");
    }

    fn prev_link_on_observations_leads_back(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let first = get(&app, &format!("/api/v1/metrics/{SERIES}/observations?page_size=1")).await.body;
        let next = first["links"]["next"].as_str().unwrap().replace("http://localhost:8080", "");
        let second = get(&app, &next).await.body;
        assert_ne!(second["data"], first["data"]);
        let prev = second["links"]["prev"].as_str().unwrap().replace("http://localhost:8080", "");
        let back = get(&app, &prev).await.body;
        assert_eq!(back["data"], first["data"]);
    }

    fn tampered_cursor_on_observations_is_400(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let startups_page = get(&app, "/api/v1/startups?page_size=1").await.body;
        let startups_next = startups_page["links"]["next"].as_str().unwrap();
        let foreign = startups_next.split("cursor=").nth(1).expect("a cursor in links.next");
        let not_a_date = URL_SAFE_NO_PAD.encode("a:2018-13-45");
        let not_a_key = URL_SAFE_NO_PAD.encode("z:2018-01-01");
        for cursor in ["not-a-cursor", "YTo", foreign, not_a_date.as_str(), not_a_key.as_str()] {
            let uri = format!("/api/v1/metrics/{SERIES}/observations?cursor={cursor}");
            let reply = get(&app, &uri).await;
            assert_bad_parameter(&reply, "cursor", &uri);
        }
        let good = URL_SAFE_NO_PAD.encode("a:2016-12-31");
        let reply = get(&app, &format!("/api/v1/metrics/{SERIES}/observations?cursor={good}")).await;
        assert_eq!(reply.status, 200, "a well-formed cursor is taken: {}", reply.body);
    }

    fn unknown_metric_is_404(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for uri in ["/api/v1/metrics/nope", "/api/v1/metrics/nope/observations"] {
            let reply = get(&app, uri).await;
            assert_problem(&reply, 404);
            let detail = reply.body["detail"].as_str().unwrap();
            assert!(detail.contains("nope") && detail.contains("metric"), "{uri}: {detail}");
        }
        let reply = get(&app, "/api/v1/metrics?colour=blue").await;
        assert_bad_parameter(&reply, "colour", "");
    }

    fn labels_repaired_from_mojibake_are_clean(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let list = get(&app, "/api/v1/metrics?page_size=1000").await.body;
        let data = list["data"].as_array().unwrap();
        assert_eq!(data.len() as u64, list["meta"]["total"].as_u64().unwrap(), "one page holds all");
        for metric in data {
            let label = metric["label"].as_str().unwrap();
            assert!(!label.contains('Ã') && !label.contains('Â'), "{}: {label}", metric["id"]);
        }
        for (id, label) in [
            ("ds-demarches-recensees", "démarches"),
            ("rdvs-rdv-par-semaine", "RDV-Solidarités : RDV par semaine"),
            ("ds-dossiers-30-jours", "dépôt de dossiers sur les 30 derniers jours"),
        ] {
            let item = get(&app, &format!("/api/v1/metrics/{id}")).await;
            assert_eq!(item.status, 200, "{id}: {}", item.body);
            assert_eq!(item.body["label"], label, "{id}");
        }
    }
}
