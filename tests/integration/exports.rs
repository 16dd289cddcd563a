//! The startup list in CSV and NDJSON: one page, or the whole filtered collection streamed in
//! chunks, on both backends.

use crate::common;

use actix_web::http::header;
use actix_web::test;
use betadata::api::app;
use common::{assert_bad_parameter, body_of, both_backends, csv_records as records, get};

both_backends! {
    fn csv_export_holds_every_filtered_startup(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for filter in ["", "&phase=transfere", "&incubator=sgmas&sort=-created"] {
            let json = get(&app, &format!("/api/v1/startups?page_size=1000{filter}")).await.body;
            let (status, content_type, text) =
                body_of(&app, test::TestRequest::get().uri(&format!("/api/v1/startups?format=csv{filter}")).to_request()).await;
            assert_eq!(status, 200);
            assert_eq!(content_type, "text/csv; charset=utf-8");
            assert!(text.contains("\r\n"), "RFC 4180 line ends");
            let (header, rows) = records(&text);
            assert_eq!(&header[..4], ["id", "name", "pitch", "incubator"]);
            assert!(header.contains(&"construction_start".to_owned()));
            let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
            let expected: Vec<&str> = json["data"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
            assert_eq!(ids, expected, "{filter}");
        }
        let (_, _, text) = body_of(&app, test::TestRequest::get().uri("/api/v1/startups?format=csv").to_request()).await;
        let (header, rows) = records(&text);
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let fce = rows.iter().find(|r| r[0] == "fiche.commune.entreprise.fce").unwrap();
        assert_eq!(fce[column("investigation_start")], "2018-10-01");
        assert_eq!(fce[column("investigation_end")], "2019-01-15");
        assert_eq!(fce[column("transfere_start")], "2022-11-30");
        assert_eq!(fce[column("current_phase")], "transfere");
        let tumeplay = rows.iter().find(|r| r[0] == "tumeplay").unwrap();
        assert_eq!(tumeplay[column("investigation_start")], "", "the impossible date was left out");
        assert_eq!(tumeplay[column("thematiques")], "Jeunesse|Santé");
    }

    fn ndjson_by_accept_and_pages_by_page_size(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let total = get(&app, "/api/v1/startups").await.body["meta"]["total"].as_u64().unwrap();
        let (status, content_type, text) = body_of(
            &app,
            test::TestRequest::get().uri("/api/v1/startups").insert_header((header::ACCEPT, "application/x-ndjson")).to_request(),
        )
        .await;
        assert_eq!((status, content_type.as_str()), (200, "application/x-ndjson"));
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("one JSON per line")).collect();
        assert_eq!(lines.len() as u64, total);
        assert!(lines.iter().all(|l| l["id"].is_string() && l.get("current_phase").is_some()));
        let page = test::call_service(&app, test::TestRequest::get().uri("/api/v1/startups?format=csv&page_size=5").to_request()).await;
        let link = page.headers().get(header::LINK).unwrap().to_str().unwrap().to_owned();
        assert!(link.contains("rel=\"next\"") && link.contains("format=csv"), "{link}");
        let text = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
        assert_eq!(records(&text).1.len(), 5);
    }

    fn bad_formats_are_named(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for (uri, parameter) in [
            ("/api/v1/startups?format=xml", "format"),
            ("/api/v1/startups?format=csv&fields=name", "fields"),
        ] {
            let reply = get(&app, uri).await;
            assert_bad_parameter(&reply, parameter, uri);
        }
    }

    fn relations_read_by_a_range_of_ids_are_those_read_by_their_list(db) {
        // Whole exports (the startup list's and /compat/v2.7's) read each chunk's relations by
        // the range of its ids; a page reads them by its list of ids.
        use betadata::db::startups::{RelationsOf, Startup};
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 1200, observations: 10, seed: 5, progress: false }).expect("generate");
        let ids: Vec<String> = Startup::chunk(&mut conn, None, None, 5000).expect("startups").into_iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), 1200);
        for chunk in ids.chunks(500) {
            let (first, last) = (&chunk[0], &chunk[chunk.len() - 1]);
            let by_list = Startup::relations(&mut conn, chunk).expect("by list");
            let by_range = Startup::relations_of(&mut conn, RelationsOf::Range { first, last, ids: chunk }).expect("by range");
            assert_eq!(by_range.len(), chunk.len());
            assert!(by_range.values().any(|r| !r.phases.is_empty() && !r.sponsors.is_empty()), "relations to compare");
            assert_eq!(by_range, by_list, "{first}..{last}");
        }
    }

    fn ndjson_lines_hold_the_fields_asked_for(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let json = get(&app, "/api/v1/startups?fields=name,current_phase&page_size=1000").await.body;
        let items: Vec<serde_json::Value> = json["data"].as_array().unwrap().clone();
        assert!(items.len() > 20);
        for uri in ["/api/v1/startups?format=ndjson&fields=name,current_phase", "/api/v1/startups?format=ndjson&fields=name,current_phase&page_size=1000"] {
            let (status, _, text) = body_of(&app, test::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(status, 200);
            let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            assert_eq!(lines, items, "{uri}: the JSON list's items, one a line");
            for line in &lines {
                let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["id", "name", "current_phase"], "{uri}");
            }
        }
    }

    fn a_whole_export_says_byte_for_byte_what_its_pages_say(db) {
        // The whole export reads each chunk's relations by ranges of ids, a page by its list of
        // ids: both must give the same bytes.
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 2500, observations: 100, seed: 11, progress: false }).expect("generate");
        drop(conn);
        let app = test::init_service(app(db.state())).await;
        for format in ["csv", "ndjson"] {
            let (status, _, whole) = body_of(&app, test::TestRequest::get().uri(&format!("/api/v1/startups?format={format}")).to_request()).await;
            assert_eq!(status, 200);
            let first = format!("/api/v1/startups?format={format}&page_size=1000");
            let pages = common::pages_joined(&app, &first, format).await;
            assert!(whole.len() > 500_000, "{format}: {} bytes", whole.len());
            assert!(whole == pages, "{format}: the whole export ({} bytes) differs from its pages ({} bytes)", whole.len(), pages.len());
        }
    }

    fn a_large_export_streams_in_chunks_each_startup_once(db) {
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 2500, observations: 100, seed: 7, progress: false }).expect("generate");
        drop(conn);
        let app = test::init_service(app(db.state())).await;
        for format in ["csv", "ndjson"] {
            let (status, _, text) = body_of(&app, test::TestRequest::get().uri(&format!("/api/v1/startups?format={format}")).to_request()).await;
            assert_eq!(status, 200);
            let mut ids: Vec<String> = if format == "csv" {
                records(&text).1.into_iter().map(|r| r[0].clone()).collect()
            } else {
                text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_owned()).collect()
            };
            assert_eq!(ids.len(), 2500, "{format}: every startup, over three chunks");
            let in_order = ids.windows(2).all(|w| w[0] < w[1]);
            ids.dedup();
            assert!(in_order && ids.len() == 2500, "{format}: each once, in id order");
        }
        // The generic collection export chunks the same way (over 2,000 metrics here).
        let total = get(&app, "/api/v1/metrics").await.body["meta"]["total"].as_u64().unwrap() as usize;
        assert!(total > 2000, "{total}");
        let (_, _, text) = body_of(&app, test::TestRequest::get().uri("/api/v1/metrics?format=csv").to_request()).await;
        let mut ids: Vec<String> = records(&text).1.into_iter().map(|r| r[0].clone()).collect();
        assert_eq!(ids.len(), total);
        ids.dedup();
        assert_eq!(ids.len(), total, "each metric once");
    }
}

both_backends! {
    fn every_collection_comes_in_csv_and_ndjson(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for (collection, first_columns) in [
            ("/api/v1/incubators", vec!["id", "title", "owner"]),
            ("/api/v1/organisations", vec!["id", "name", "acronym", "kind"]),
            ("/api/v1/phases", vec!["id", "label", "order"]),
            ("/api/v1/metrics", vec!["id", "label", "unit", "startup"]),
            ("/api/v1/metrics/membres-actifs/observations", vec!["date", "start", "value", "source"]),
        ] {
            let total = get(&app, collection).await.body["meta"]["total"].as_u64().unwrap() as usize;
            let (status, content_type, text) =
                body_of(&app, test::TestRequest::get().uri(&format!("{collection}?format=csv")).to_request()).await;
            assert_eq!((status, content_type.as_str()), (200, "text/csv; charset=utf-8"), "{collection}");
            let (header, rows) = records(&text);
            assert_eq!(header[..first_columns.len()], first_columns[..], "{collection}");
            assert_eq!(rows.len(), total, "{collection}: every item");
            let (_, content_type, text) = body_of(
                &app,
                test::TestRequest::get().uri(collection).insert_header((header::ACCEPT, "application/x-ndjson")).to_request(),
            )
            .await;
            assert_eq!(content_type, "application/x-ndjson", "{collection}");
            assert_eq!(text.lines().count(), total, "{collection}: a line per item");
            if collection != "/api/v1/phases" {
                let page = test::call_service(&app, test::TestRequest::get().uri(&format!("{collection}?format=csv&page_size=1")).to_request()).await;
                assert!(page.headers().get(header::LINK).is_some(), "{collection}");
                let text = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
                assert_eq!(records(&text).1.len(), 1, "{collection}: one page");
            }
        }
        let (_, _, text) = body_of(&app, test::TestRequest::get().uri("/api/v1/metrics/membres-actifs/observations?format=csv").to_request()).await;
        let (_, rows) = records(&text);
        assert_eq!(rows[0][0], "2016-12-31");
        assert_eq!(rows[0][2], "53");
    }
}

both_backends! {
    fn an_export_without_a_free_connection_is_answered_503_before_it_starts(db) {
        let db = db.seeded();
        // One connection, waited for 300 ms, and held here: no export can get one.
        let settings = betadata::db::PoolSettings {
            connection_timeout: std::time::Duration::from_millis(300),
            ..betadata::db::PoolSettings::new(1)
        };
        let pool = betadata::db::open_pool(&db.url, settings).expect("pool");
        let state = betadata::api::AppState::new(pool.clone()).with_cache_mib(0);
        let app = test::init_service(app(state)).await;
        let held = pool.get().expect("the one connection");
        for uri in ["/api/v1/startups?format=csv", "/api/v1/startups?format=ndjson", "/compat/v2.7/startups.json", "/compat/v2.7/startups.csv", "/compat/v2.7/incubators.json"] {
            let reply = get(&app, uri).await;
            common::assert_problem(&reply, 503);
            assert!(reply.headers.contains_key(header::RETRY_AFTER), "{uri}");
        }
        drop(held);
        let (status, _, text) = body_of(&app, test::TestRequest::get().uri("/api/v1/startups?format=csv").to_request()).await;
        assert_eq!(status, 200);
        assert!(text.lines().count() > 10, "whole once a connection is free");
    }
}
