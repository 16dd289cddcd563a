//! The write API on startups and their phases, on both backends: scopes, validation with
//! pointers, `If-Match`, `Idempotency-Key`, the change feed, and concurrent writers losing
//! nothing.

use crate::common;

use actix_web::http::{Method, header};
use actix_web::test;
use betadata::api::app;
use common::{both_backends, get, issue_token, send};
use serde_json::{Value, json};

fn new_startup(id: &str, incubator: &str) -> Value {
    json!({
        "id": id,
        "name": format!("Service {id}"),
        "pitch": "Un service numérique pour tester l'écriture",
        "incubator": incubator,
        "sponsors": ["dinum"],
        "link": format!("https://{id}.beta.gouv.fr"),
        "contact": format!("equipe@{id}.beta.gouv.fr"),
        "usertypes": ["particulier"],
        "phases": [
            {"phase": "investigation", "start": "2024-01-15", "end": "2024-06-30"},
            {"phase": "construction", "start": "2024-07-01"}
        ]
    })
}

both_backends! {
    fn a_created_startup_reads_back_and_is_in_the_feed(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let before = get(&app, "/api/v1/changes").await.body["meta"]["total"].as_i64().expect("total");
        let created = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&new_startup("ecrire", "dinum")), &[]).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.headers.get(header::LOCATION).expect("Location"), "/api/v1/startups/ecrire");
        assert_eq!(created.body["current_phase"], "construction");
        let read = get(&app, "/api/v1/startups/ecrire").await;
        assert_eq!(read.status, 200);
        assert_eq!(read.body, created.body, "the answer is the item as its route shows it");
        assert_eq!(read.etag(), created.etag());
        let feed = get(&app, &format!("/api/v1/changes?since={before}")).await.body;
        let change = &feed["data"][0];
        assert_eq!((change["resource"].as_str(), change["id"].as_str(), change["action"].as_str()), (Some("startup"), Some("ecrire"), Some("create")));
        assert_eq!(change["by"], "admin", "by role");
        assert!(!change.to_string().contains("\"ops\""), "the token is not named");
        assert_eq!(change["state"], common::as_in_feed("startup", &created.body));
        let history = get(&app, "/api/v1/startups/ecrire/history").await.body;
        assert_eq!(history["meta"]["total"], 1);
        let again = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&new_startup("ecrire", "dinum")), &[]).await;
        common::assert_problem(&again, 409);
    }

    fn tokens_write_only_within_their_incubator(db) {
        let db = db.seeded();
        let dinum = issue_token(&db, "dinum-team", "incubator:dinum");
        let app = test::init_service(app(db.state())).await;
        let anonymous = send(&app, Method::POST, "/api/v1/startups", None, Some(&new_startup("x", "dinum")), &[]).await;
        common::assert_problem(&anonymous, 401);
        assert!(anonymous.headers.get(header::WWW_AUTHENTICATE).is_some());
        let forged = send(&app, Method::POST, "/api/v1/startups", Some("bd_forged"), Some(&new_startup("x", "dinum")), &[]).await;
        common::assert_problem(&forged, 401);
        let elsewhere = send(&app, Method::POST, "/api/v1/startups", Some(&dinum), Some(&new_startup("x", "sgmas")), &[]).await;
        common::assert_problem(&elsewhere, 403);
        let own = send(&app, Method::POST, "/api/v1/startups", Some(&dinum), Some(&new_startup("x", "dinum")), &[]).await;
        assert_eq!(own.status, 201, "{}", own.body);
        let medle = send(&app, Method::PATCH, "/api/v1/startups/medle", Some(&dinum), Some(&json!({"pitch": "détourné"})), &[]).await;
        common::assert_problem(&medle, 403);
        let moved = send(&app, Method::PATCH, "/api/v1/startups/x", Some(&dinum), Some(&json!({"incubator": "sgmas"})), &[]).await;
        common::assert_problem(&moved, 403);
        assert_eq!(get(&app, "/api/v1/startups/x").await.body["incubator"]["id"], "dinum", "nothing was written");
        let phase = send(&app, Method::POST, "/api/v1/startups/medle/phases", Some(&dinum), Some(&json!({"phase": "opere", "start": "2025-01-01"})), &[]).await;
        common::assert_problem(&phase, 403);
    }

    fn bad_bodies_are_refused_with_what_and_where(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let mut bad = new_startup("bad", "nowhere");
        bad["contact"] = json!("not an address");
        bad["link"] = json!("beta.gouv.fr");
        bad["sponsors"] = json!(["dinum", "ghost"]);
        bad["name"] = json!("x".repeat(201));
        bad["phases"] = json!([
            {"phase": "investigation", "start": "2024-01-15", "end": "2024-01-01"},
            {"phase": "success", "start": "2024-07-01"},
            {"phase": "construction", "start": "2024-03-01"}
        ]);
        let reply = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&bad), &[]).await;
        common::assert_problem(&reply, 422);
        assert_eq!(reply.pointers(), ["/name", "/link", "/contact", "/phases/0/end", "/phases/1/phase", "/phases/2/start", "/incubator", "/sponsors/1"]);
        let mut typed = new_startup("bad", "dinum");
        typed["phases"][1]["start"] = json!("2020-13-45");
        let reply = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&typed), &[]).await;
        common::assert_problem(&reply, 422);
        assert_eq!(reply.pointers(), ["/phases/1/start"]);
        let mut unknown = new_startup("bad", "dinum");
        unknown["colour"] = json!("red");
        assert_eq!(send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&unknown), &[]).await.pointers(), ["/colour"]);
        let request = |content_type: &str, payload: String| {
            test::TestRequest::post()
                .uri("/api/v1/startups")
                .insert_header(("authorization", format!("Bearer {admin}")))
                .insert_header(("content-type", content_type.to_owned()))
                .set_payload(payload)
                .to_request()
        };
        let (status, content_type, _) = common::body_of(&app, request("application/json", "{\"id\": ".into())).await;
        assert_eq!((status, content_type.as_str()), (400, "application/problem+json"));
        let (status, _, _) = common::body_of(&app, request("text/plain", new_startup("t", "dinum").to_string())).await;
        assert_eq!(status, 415);
        let huge = json!({"id": "huge", "name": "x", "description": "x".repeat(2 << 20)}).to_string();
        let (status, _, _) = common::body_of(&app, request("application/json", huge)).await;
        assert_eq!(status, 413);
        assert_eq!(get(&app, "/api/v1/startups/bad").await.status, 404, "nothing was kept");
    }

    fn a_stale_if_match_is_refused(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let read = get(&app, "/api/v1/startups/medle").await;
        let tag = read.etag();
        let first = send(&app, Method::PATCH, "/api/v1/startups/medle", Some(&admin), Some(&json!({"pitch": "Première"})), &[("if-match", &tag)]).await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!(first.body["pitch"], "Première");
        assert_eq!(first.body["phases"], read.body["phases"], "a merge patch keeps what it does not name");
        let stale = send(&app, Method::PATCH, "/api/v1/startups/medle", Some(&admin), Some(&json!({"pitch": "Seconde"})), &[("if-match", &tag)]).await;
        common::assert_problem(&stale, 412);
        let gzip_tag = format!("{}-gzip\"", first.etag().trim_end_matches('"'));
        let coded = send(&app, Method::PATCH, "/api/v1/startups/medle", Some(&admin), Some(&json!({"pitch": null})), &[("if-match", &gzip_tag)]).await;
        assert_eq!(coded.status, 200, "the tag of a compressed read names the same version");
        assert_eq!(coded.body["pitch"], Value::Null);
        let deleted = send(&app, Method::DELETE, "/api/v1/startups/medle", Some(&admin), None, &[("if-match", &tag)]).await;
        common::assert_problem(&deleted, 412);
    }

    fn an_idempotency_key_writes_once(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let body = new_startup("une-fois", "dinum");
        let key = [("idempotency-key", "create-une-fois")];
        let first = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&body), &key).await;
        let second = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&body), &key).await;
        assert_eq!((first.status.as_u16(), second.status.as_u16()), (201, 201));
        assert_eq!(first.body, second.body);
        assert_eq!(first.headers.get(header::LOCATION), second.headers.get(header::LOCATION));
        let history = get(&app, "/api/v1/startups/une-fois/history").await.body;
        assert_eq!(history["meta"]["total"], 1, "written once");
        let other = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&new_startup("autre", "dinum")), &key).await;
        common::assert_problem(&other, 422);
        assert_eq!(get(&app, "/api/v1/startups/autre").await.status, 404);
    }

    fn concurrent_retries_with_one_key_are_all_replays(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let before = get(&app, "/api/v1/changes").await.body["meta"]["total"].as_i64().expect("total");
        let body = new_startup("rejouee", "dinum");
        let (app_ref, admin_ref, body_ref) = (&app, admin.as_str(), &body);
        let retries = (0..50).map(|_| async move {
            send(app_ref, Method::POST, "/api/v1/startups", Some(admin_ref), Some(body_ref), &[("idempotency-key", "create-rejouee")]).await
        });
        let replies = futures_util::future::join_all(retries).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        assert!(statuses.iter().all(|s| *s == 201), "every retry is the first answer: {statuses:?}");
        assert!(replies.iter().all(|r| r.body == replies[0].body));
        let total = get(&app, "/api/v1/changes").await.body["meta"]["total"].as_i64().expect("total");
        assert_eq!(total, before + 1, "written once");
    }

    fn a_write_that_changes_nothing_writes_nothing(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let feed_total = |reply: common::Reply| reply.body["meta"]["total"].as_i64().expect("total");
        let before = feed_total(get(&app, "/api/v1/changes").await);
        let list_tag = get(&app, "/api/v1/startups").await.etag();
        for (uri, patch) in [
            ("/api/v1/startups/medle", json!({"pitch": get(&app, "/api/v1/startups/medle").await.body["pitch"]})),
            ("/api/v1/startups/medle", json!({})),
            ("/api/v1/incubators/dinum", json!({"title": get(&app, "/api/v1/incubators/dinum").await.body["title"]})),
            ("/api/v1/organisations/dinum", json!({"name": get(&app, "/api/v1/organisations/dinum").await.body["name"]})),
        ] {
            let read = get(&app, uri).await;
            let patched = send(&app, Method::PATCH, uri, Some(&admin), Some(&patch), &[("if-match", &read.etag())]).await;
            assert_eq!(patched.status, 200, "{uri}: {}", patched.body);
            assert_eq!(patched.body, read.body, "{uri}");
            assert_eq!(patched.etag(), read.etag(), "{uri}: a no-op keeps the version");
        }
        let startup = get(&app, "/api/v1/startups/medle").await;
        let mut document = startup.body.clone();
        let put = send(&app, Method::PATCH, "/api/v1/startups/medle", Some(&admin), Some(&json!({"phases": document["phases"].take()})), &[]).await;
        assert_eq!(put.etag(), startup.etag());
        assert_eq!(feed_total(get(&app, "/api/v1/changes").await), before, "nothing in the feed");
        assert_eq!(get(&app, "/api/v1/startups").await.etag(), list_tag, "no new revision");
    }

    fn phase_transitions_close_the_open_phase(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&new_startup("phases", "dinum")), &[]).await;
        let entered = send(&app, Method::POST, "/api/v1/startups/phases/phases", Some(&admin), Some(&json!({"phase": "acceleration", "start": "2025-03-01"})), &[]).await;
        assert_eq!(entered.status, 201, "{}", entered.body);
        assert_eq!(entered.headers.get(header::LOCATION).expect("Location"), "/api/v1/startups/phases/phases/2025-03-01");
        assert_eq!(entered.body["phases"][1]["end"], "2025-02-28", "the open phase ends the day before");
        assert_eq!(entered.body["current_phase"], "acceleration");
        let filtered = common::collect_ids(&app, "/api/v1/startups?phase=acceleration&incubator=dinum").await;
        assert!(filtered.contains(&"phases".to_owned()), "the phase filter sees the write: {filtered:?}");
        let early = send(&app, Method::POST, "/api/v1/startups/phases/phases", Some(&admin), Some(&json!({"phase": "consolidation", "start": "2025-01-01"})), &[]).await;
        common::assert_problem(&early, 422);
        assert_eq!(early.pointers(), ["/start"]);
        let unknown = send(&app, Method::POST, "/api/v1/startups/phases/phases", Some(&admin), Some(&json!({"phase": "success", "start": "2026-01-01"})), &[]).await;
        assert_eq!(unknown.pointers(), ["/phase"]);
        let patched = send(&app, Method::PATCH, "/api/v1/startups/phases/phases/2025-03-01", Some(&admin), Some(&json!({"end": "2025-12-31"})), &[]).await;
        assert_eq!(patched.status, 200, "{}", patched.body);
        assert_eq!(patched.body["phases"][2]["end"], "2025-12-31");
        let backwards = send(&app, Method::PATCH, "/api/v1/startups/phases/phases/2025-03-01", Some(&admin), Some(&json!({"end": "2025-01-01"})), &[]).await;
        assert_eq!(backwards.pointers(), ["/phases/2/end"]);
        let removed = send(&app, Method::DELETE, "/api/v1/startups/phases/phases/2025-03-01", Some(&admin), None, &[]).await;
        assert_eq!(removed.status, 200);
        assert_eq!(removed.body["phases"].as_array().expect("phases").len(), 2);
        let building = common::collect_ids(&app, "/api/v1/startups?phase=construction&incubator=dinum").await;
        assert!(building.contains(&"phases".to_owned()), "{building:?}");
        common::assert_problem(&send(&app, Method::DELETE, "/api/v1/startups/phases/phases/2025-03-01", Some(&admin), None, &[]).await, 404);
        let history = get(&app, "/api/v1/startups/phases/history").await.body;
        assert_eq!(history["meta"]["total"], 4, "create, enter, change, delete");
    }

    fn a_deleted_startup_leaves_a_tombstone(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let metrics = get(&app, "/api/v1/startups/medle/metrics").await.body["data"].as_array().expect("metrics").len();
        assert!(metrics > 0);
        let deleted = send(&app, Method::DELETE, "/api/v1/startups/medle", Some(&admin), None, &[]).await;
        assert_eq!(deleted.status, 204);
        assert_eq!(get(&app, "/api/v1/startups/medle").await.status, 404);
        let history = get(&app, "/api/v1/startups/medle/history").await.body;
        let last = history["data"].as_array().expect("data").last().expect("a change").clone();
        assert_eq!((last["action"].as_str(), &last["state"]), (Some("delete"), &Value::Null));
        let feed = get(&app, "/api/v1/changes?page_size=1000").await.body;
        let tombstones = feed["data"].as_array().expect("data").iter().filter(|c| c["resource"] == "metric" && c["action"] == "delete").count();
        assert_eq!(tombstones, metrics, "its metrics went with it");
        common::assert_problem(&get(&app, "/api/v1/startups/nobody/history").await, 404);
    }

    fn concurrent_writers_lose_nothing(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let before = get(&app, "/api/v1/changes").await.body["meta"]["total"].as_i64().expect("total");
        const WRITERS: usize = 16;
        let bodies: Vec<Value> = (0..WRITERS).map(|i| new_startup(&format!("concurrent-{i:02}"), "dinum")).collect();
        let creations = bodies.iter().map(|body| send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(body), &[]));
        let replies = futures_util::future::join_all(creations).await;
        assert!(replies.iter().all(|r| r.status == 201), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        let (app_ref, admin_ref) = (&app, admin.as_str());
        let transitions = (0..WRITERS).map(|i| {
            let uri = format!("/api/v1/startups/concurrent-{i:02}/phases");
            async move {
                send(app_ref, Method::POST, &uri, Some(admin_ref), Some(&json!({"phase": "acceleration", "start": "2025-06-01"})), &[]).await
            }
        });
        let replies = futures_util::future::join_all(transitions).await;
        assert!(replies.iter().all(|r| r.status == 201));
        let feed = get(&app, &format!("/api/v1/changes?since={before}&page_size=1000")).await.body;
        let seqs: Vec<i64> = feed["data"].as_array().expect("data").iter().map(|c| c["seq"].as_i64().expect("seq")).collect();
        assert_eq!(seqs.len(), 2 * WRITERS, "every write recorded once");
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        let listed = get(&app, "/api/v1/startups?q=Service&page_size=100").await.body;
        assert!(listed["meta"]["total"].as_u64().expect("total") >= WRITERS as u64);
        for i in 0..WRITERS {
            let startup = get(&app, &format!("/api/v1/startups/concurrent-{i:02}")).await.body;
            assert_eq!(startup["current_phase"], "acceleration", "concurrent-{i:02}");
        }
        // Many writers on one startup with the version they read: exactly one wins.
        let tag = get(&app, "/api/v1/startups/concurrent-00").await.etag();
        let racers = (0..8).map(|i| {
            let tag = tag.clone();
            let pitch = format!("version {i}");
            async move {
                send(app_ref, Method::PATCH, "/api/v1/startups/concurrent-00", Some(admin_ref), Some(&json!({"pitch": pitch})), &[("if-match", tag.as_str())]).await.status.as_u16()
            }
        });
        let mut statuses = futures_util::future::join_all(racers).await;
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
    }

    fn metrics_are_defined_and_observed_within_scope(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let sgmas = issue_token(&db, "sgmas-team", "incubator:sgmas");
        let dinum = issue_token(&db, "dinum-team", "incubator:dinum");
        let app = test::init_service(app(db.state())).await;
        let metric = json!({"id": "medle-dossiers", "label": "Dossiers traités", "unit": "dossiers"});
        common::assert_problem(&send(&app, Method::POST, "/api/v1/startups/medle/metrics", Some(&dinum), Some(&metric), &[]).await, 403);
        let created = send(&app, Method::POST, "/api/v1/startups/medle/metrics", Some(&sgmas), Some(&metric), &[]).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.headers.get(header::LOCATION).expect("Location"), "/api/v1/metrics/medle-dossiers");
        common::assert_problem(&send(&app, Method::POST, "/api/v1/startups/medle/metrics", Some(&sgmas), Some(&metric), &[]).await, 409);
        let uri = "/api/v1/metrics/medle-dossiers/observations";
        let batch = json!([
            {"date": "2025-01-31", "value": 120, "start": "2025-01-01"},
            {"date": "2025-02-28", "value": 150, "start": "2025-02-01", "note": "estimation"}
        ]);
        let first = send(&app, Method::POST, uri, Some(&sgmas), Some(&batch), &[]).await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!((first.body["created"].as_u64(), first.body["updated"].as_u64()), (Some(2), Some(0)));
        let again = send(&app, Method::POST, uri, Some(&sgmas), Some(&json!({"date": "2025-02-28", "value": 155})), &[]).await;
        assert_eq!((again.body["created"].as_u64(), again.body["updated"].as_u64()), (Some(0), Some(1)), "upsert by date");
        let values: Vec<f64> = get(&app, uri).await.body["data"].as_array().expect("data").iter().map(|o| o["value"].as_f64().expect("value")).collect();
        assert_eq!(values, [120.0, 155.0]);
        let bad = json!([
            {"date": "2025-03-31", "value": 1, "start": "2025-04-01"},
            {"date": "2025-03-31", "value": 2, "source": "nowhere"},
            {"date": "2025-13-01", "value": 3}
        ]);
        let refused = send(&app, Method::POST, uri, Some(&sgmas), Some(&bad), &[]).await;
        common::assert_problem(&refused, 422);
        let refused_two = send(&app, Method::POST, uri, Some(&sgmas), Some(&bad.as_array().expect("batch")[..2].to_vec().into()), &[]).await;
        assert_eq!(refused_two.pointers(), ["/0/start", "/1/source", "/1/date"]);
        assert_eq!(get(&app, uri).await.body["data"].as_array().expect("data").len(), 2, "nothing of a refused batch is kept");
        let programme = get(&app, "/api/v1/metrics?page_size=1000").await.body["data"].as_array().expect("metrics").iter().find(|m| m["startup"].is_null()).expect("a programme metric")["id"].as_str().expect("id").to_owned();
        let programme_uri = format!("/api/v1/metrics/{programme}/observations");
        common::assert_problem(&send(&app, Method::POST, &programme_uri, Some(&sgmas), Some(&json!({"date": "2025-01-01", "value": 1})), &[]).await, 403);
        assert_eq!(send(&app, Method::POST, &programme_uri, Some(&admin), Some(&json!({"date": "2025-01-01", "value": 1})), &[]).await.status, 200);
        let feed = get(&app, "/api/v1/changes?page_size=1000").await.body;
        let observed = feed["data"].as_array().expect("data").iter().filter(|c| c["resource"] == "observation").count();
        assert_eq!(observed, 4, "one change per observation written");
    }

    fn a_number_reads_back_as_it_was_written(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let metric = json!({"id": "medle-visites", "label": "Visites", "unit": "visites"});
        assert_eq!(send(&app, Method::POST, "/api/v1/startups/medle/metrics", Some(&admin), Some(&metric), &[]).await.status, 201);
        let uri = "/api/v1/metrics/medle-visites/observations";
        let sent = json!([{"date": "2025-01-31", "value": 310}, {"date": "2025-02-28", "value": 12.5}, {"date": "2025-03-31", "value": 250000}]);
        let written = send(&app, Method::POST, uri, Some(&admin), Some(&sent), &[]).await;
        assert_eq!(written.status, 200, "{}", written.body);
        let values = |body: &Value| -> Vec<String> { body["data"].as_array().expect("data").iter().map(|o| o["value"].to_string()).collect() };
        let as_sent = ["310", "12.5", "250000"];
        assert_eq!(values(&written.body), as_sent, "the write echoes the numbers as sent");
        assert_eq!(values(&get(&app, uri).await.body), as_sent, "a read gives them back as sent");
        let latest = get(&app, "/api/v1/metrics/medle-visites").await.body;
        assert_eq!(latest["latest"]["value"].to_string(), "250000");
        let (_, _, csv) = common::get_text(&app, &format!("{uri}?format=csv")).await;
        let cells: Vec<&str> = csv.lines().skip(1).map(|line| line.split(',').nth(2).expect("value")).collect();
        assert_eq!(cells, as_sent, "and so does the CSV: {csv}");
    }
}
