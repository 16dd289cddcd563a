//! The write API on incubators and organisations, on both backends: admin tokens only,
//! validation with pointers, `If-Match`, deletions refused while something refers to the
//! resource, the change feed and `Idempotency-Key`.

use crate::common;

use actix_web::http::{Method, header};
use actix_web::test;
use betadata::api::app;
use common::{both_backends, get, issue_token, send};
use serde_json::{Value, json};

fn new_incubator(id: &str) -> Value {
    json!({
        "id": id,
        "title": format!("Incubateur {id}"),
        "owner": "dinum",
        "website": format!("https://{id}.beta.gouv.fr"),
        "contact": format!("contact@{id}.beta.gouv.fr"),
        "address": "20 avenue de Ségur, 75007 Paris",
        "description": "Un incubateur pour tester l'écriture"
    })
}

fn new_organisation(id: &str) -> Value {
    json!({
        "id": id,
        "name": format!("Agence {id}"),
        "acronym": id.to_uppercase(),
        "kind": "operateur"
    })
}

/// The number of the latest change.
fn latest_change(db: &common::TestDb) -> i64 {
    let mut conn = db.pool.get().expect("connection");
    betadata::db::changes::Change::latest(&mut conn).expect("the latest change")
}

/// The changes after `since`.
async fn changes_since<S, B>(app: &S, since: i64) -> Vec<Value>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    get(app, &format!("/api/v1/changes?since={since}"))
        .await
        .body["data"]
        .as_array()
        .expect("data")
        .clone()
}

both_backends! {
    fn a_created_incubator_reads_back_changes_and_is_in_the_feed(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let before = latest_change(&db);
        let created = send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&new_incubator("fabrique")), &[]).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.headers.get(header::LOCATION).expect("Location"), "/api/v1/incubators/fabrique");
        assert_eq!(created.body["owner"], "dinum");
        assert_eq!(created.body["startups_by_phase"], json!({}));
        let read = get(&app, "/api/v1/incubators/fabrique").await;
        assert_eq!(read.status, 200);
        assert_eq!(read.body, created.body, "the answer is the item as its route shows it");
        assert_eq!(read.etag(), created.etag());
        let owner = get(&app, "/api/v1/organisations/dinum").await.body;
        assert!(owner["incubators"].as_array().expect("incubators").contains(&json!("fabrique")));
        let feed = changes_since(&app, before).await;
        assert_eq!(feed.len(), 1);
        assert_eq!((feed[0]["resource"].as_str(), feed[0]["id"].as_str(), feed[0]["action"].as_str()), (Some("incubator"), Some("fabrique"), Some("create")));
        assert_eq!(feed[0]["by"], "admin");
        assert_eq!(feed[0]["state"], common::as_in_feed("incubator", &created.body));
        let again = send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&new_incubator("fabrique")), &[]).await;
        common::assert_problem(&again, 409);

        let patched = send(&app, Method::PATCH, "/api/v1/incubators/fabrique", Some(&admin), Some(&json!({"title": "La Fabrique", "address": null})), &[("if-match", &read.etag())]).await;
        assert_eq!(patched.status, 200, "{}", patched.body);
        assert_eq!(patched.body["title"], "La Fabrique");
        assert_eq!(patched.body["address"], Value::Null);
        assert_eq!(patched.body["website"], "https://fabrique.beta.gouv.fr", "what the patch leaves out is kept");
        assert_eq!(get(&app, "/api/v1/incubators/fabrique").await.body, patched.body);
        let feed = changes_since(&app, before).await;
        assert_eq!((feed[1]["action"].as_str(), &feed[1]["state"]), (Some("update"), &common::as_in_feed("incubator", &patched.body)));
        let renamed = send(&app, Method::PATCH, "/api/v1/incubators/fabrique", Some(&admin), Some(&json!({"id": "autre"})), &[]).await;
        common::assert_problem(&renamed, 422);
        assert_eq!(renamed.pointers(), ["/id"]);
        let missing = send(&app, Method::PATCH, "/api/v1/incubators/nowhere", Some(&admin), Some(&json!({"title": "x"})), &[]).await;
        common::assert_problem(&missing, 404);
    }

    fn a_created_organisation_reads_back_changes_and_is_in_the_feed(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let before = latest_change(&db);
        let created = send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&new_organisation("essai")), &[]).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.headers.get(header::LOCATION).expect("Location"), "/api/v1/organisations/essai");
        assert_eq!(created.body, json!({"id": "essai", "name": "Agence essai", "acronym": "ESSAI", "kind": "operateur", "incubators": [], "sponsored_startups": 0}));
        let read = get(&app, "/api/v1/organisations/essai").await;
        assert_eq!(read.body, created.body);
        assert_eq!(read.etag(), created.etag());
        let feed = changes_since(&app, before).await;
        assert_eq!(feed.len(), 1);
        assert_eq!((feed[0]["resource"].as_str(), feed[0]["id"].as_str(), feed[0]["action"].as_str()), (Some("organisation"), Some("essai"), Some("create")));
        assert_eq!(feed[0]["state"], common::as_in_feed("organisation", &created.body));
        let again = send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&new_organisation("essai")), &[]).await;
        common::assert_problem(&again, 409);
        let patched = send(&app, Method::PATCH, "/api/v1/organisations/essai", Some(&admin), Some(&json!({"kind": "other", "acronym": null})), &[("if-match", &read.etag())]).await;
        assert_eq!(patched.status, 200, "{}", patched.body);
        assert_eq!((patched.body["kind"].as_str(), &patched.body["acronym"]), (Some("other"), &Value::Null));
        assert_eq!(get(&app, "/api/v1/organisations/essai").await.body, patched.body);
        // The new organisation can now own an incubator.
        let mut owned = new_incubator("territoires");
        owned["owner"] = json!("essai");
        assert_eq!(send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&owned), &[]).await.status, 201);
        assert_eq!(get(&app, "/api/v1/organisations/essai").await.body["incubators"], json!(["territoires"]));
    }

    fn only_admin_tokens_write_incubators_and_organisations(db) {
        let db = db.seeded();
        let dinum = issue_token(&db, "dinum-team", "incubator:dinum");
        let app = test::init_service(app(db.state())).await;
        let writes = [
            (Method::POST, "/api/v1/incubators", Some(new_incubator("fabrique"))),
            (Method::PATCH, "/api/v1/incubators/dinum", Some(json!({"title": "Pris"}))),
            (Method::DELETE, "/api/v1/incubators/dinum", None),
            (Method::POST, "/api/v1/organisations", Some(new_organisation("essai"))),
            (Method::PATCH, "/api/v1/organisations/dinum", Some(json!({"name": "Pris"}))),
            (Method::DELETE, "/api/v1/organisations/dinum", None),
        ];
        for (method, uri, body) in writes {
            let anonymous = send(&app, method.clone(), uri, None, body.as_ref(), &[]).await;
            common::assert_problem(&anonymous, 401);
            assert!(anonymous.headers.get(header::WWW_AUTHENTICATE).is_some(), "{method} {uri}");
            let scoped = send(&app, method.clone(), uri, Some(&dinum), body.as_ref(), &[]).await;
            common::assert_problem(&scoped, 403);
            assert!(scoped.body["detail"].as_str().expect("detail").contains("admin"), "{method} {uri}");
        }
        assert_eq!(get(&app, "/api/v1/incubators/fabrique").await.status, 404, "nothing was written");
        assert_eq!(get(&app, "/api/v1/organisations/essai").await.status, 404);
        assert_ne!(get(&app, "/api/v1/incubators/dinum").await.body["title"], "Pris");
        assert_ne!(get(&app, "/api/v1/organisations/dinum").await.body["name"], "Pris");
    }

    fn bad_bodies_are_refused_with_what_and_where(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let mut bad = new_incubator("bad");
        bad.as_object_mut().expect("object").remove("title");
        bad["website"] = json!("fabrique.gouv.fr");
        bad["contact"] = json!("call us");
        bad["description"] = json!("x".repeat(50_001));
        bad["owner"] = json!("ghost");
        let reply = send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&bad), &[]).await;
        common::assert_problem(&reply, 422);
        assert_eq!(reply.pointers(), ["/title", "/website", "/contact", "/description", "/owner"]);
        let mut long = new_incubator("bad");
        long["title"] = json!("x".repeat(201));
        assert_eq!(send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&long), &[]).await.pointers(), ["/title"]);
        let mut unknown = new_incubator("bad");
        unknown["colour"] = json!("red");
        assert_eq!(send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&unknown), &[]).await.pointers(), ["/colour"]);
        let mut no_id = new_incubator("bad");
        no_id.as_object_mut().expect("object").remove("id");
        assert_eq!(send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&no_id), &[]).await.pointers(), ["/id"]);
        let mut bad_id = new_incubator("bad");
        bad_id["id"] = json!("la/fabrique");
        assert_eq!(send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&bad_id), &[]).await.pointers(), ["/id"]);
        let patch = send(&app, Method::PATCH, "/api/v1/incubators/dinum", Some(&admin), Some(&json!({"owner": "ghost", "website": "ftp://x.fr"})), &[]).await;
        common::assert_problem(&patch, 422);
        assert_eq!(patch.pointers(), ["/website", "/owner"]);
        assert_eq!(get(&app, "/api/v1/incubators/bad").await.status, 404, "nothing was kept");

        let mut organisation = new_organisation("bad");
        organisation["kind"] = json!("Company Ltd");
        organisation.as_object_mut().expect("object").remove("name");
        let reply = send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&organisation), &[]).await;
        common::assert_problem(&reply, 422);
        assert_eq!(reply.pointers(), ["/name", "/kind"]);
        let mut kindless = new_organisation("bad");
        kindless.as_object_mut().expect("object").remove("kind");
        assert_eq!(send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&kindless), &[]).await.pointers(), ["/kind"]);
        let mut long = new_organisation("bad");
        long["acronym"] = json!("X".repeat(51));
        long["sponsors"] = json!([]);
        assert_eq!(send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&long), &[]).await.pointers(), ["/sponsors"]);
        long.as_object_mut().expect("object").remove("sponsors");
        assert_eq!(send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&long), &[]).await.pointers(), ["/acronym"]);
        let patch = send(&app, Method::PATCH, "/api/v1/organisations/dinum", Some(&admin), Some(&json!({"kind": "Company Ltd"})), &[]).await;
        assert_eq!(patch.pointers(), ["/kind"]);
        let not_an_object = send(&app, Method::PATCH, "/api/v1/organisations/dinum", Some(&admin), Some(&json!(["kind"])), &[]).await;
        common::assert_problem(&not_an_object, 422);
        assert_eq!(get(&app, "/api/v1/organisations/bad").await.status, 404, "nothing was kept");
        assert_eq!(get(&app, "/api/v1/organisations/dinum").await.body["kind"], "administration-centrale");
    }

    fn a_stale_if_match_is_refused(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        for (uri, first, second) in [
            ("/api/v1/incubators/dinum", json!({"address": "Première"}), json!({"address": "Seconde"})),
            ("/api/v1/organisations/dinum", json!({"acronym": "PREMIER"}), json!({"acronym": "SECOND"})),
        ] {
            let tag = get(&app, uri).await.etag();
            let written = send(&app, Method::PATCH, uri, Some(&admin), Some(&first), &[("if-match", &tag)]).await;
            assert_eq!(written.status, 200, "{uri}: {}", written.body);
            let stale = send(&app, Method::PATCH, uri, Some(&admin), Some(&second), &[("if-match", &tag)]).await;
            common::assert_problem(&stale, 412);
            let stale_delete = send(&app, Method::DELETE, uri, Some(&admin), None, &[("if-match", &tag)]).await;
            common::assert_problem(&stale_delete, 412);
            assert_eq!(get(&app, uri).await.body, written.body, "{uri}: the stale writes changed nothing");
        }
    }

    fn referenced_incubators_and_organisations_are_not_deleted(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let before = latest_change(&db);
        let hosting = send(&app, Method::DELETE, "/api/v1/incubators/dinum", Some(&admin), None, &[]).await;
        common::assert_problem(&hosting, 409);
        assert!(hosting.body["detail"].as_str().expect("detail").contains("startup(s)"), "{}", hosting.body);
        assert_eq!(get(&app, "/api/v1/incubators/dinum").await.status, 200);
        // An incubator without startups, but scoping a token.
        send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&new_incubator("fabrique")), &[]).await;
        issue_token(&db, "fabrique-ci", "incubator:fabrique");
        let scoping = send(&app, Method::DELETE, "/api/v1/incubators/fabrique", Some(&admin), None, &[]).await;
        common::assert_problem(&scoping, 409);
        assert!(scoping.body["detail"].as_str().expect("detail").contains("`fabrique-ci`"), "{}", scoping.body);
        assert_eq!(get(&app, "/api/v1/incubators/fabrique").await.status, 200);
        // `dinum` owns incubators and sponsors startups.
        let owning = send(&app, Method::DELETE, "/api/v1/organisations/dinum", Some(&admin), None, &[]).await;
        common::assert_problem(&owning, 409);
        let detail = owning.body["detail"].as_str().expect("detail");
        assert!(detail.contains("`dinum`") && detail.contains("`fabrique`"), "{detail}");
        assert_eq!(get(&app, "/api/v1/organisations/dinum").await.status, 200);
        // An organisation that only sponsors a startup.
        send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&new_organisation("essai")), &[]).await;
        let sponsored = send(&app, Method::PATCH, "/api/v1/startups/medle", Some(&admin), Some(&json!({"sponsors": ["essai"]})), &[]).await;
        assert_eq!(sponsored.status, 200, "{}", sponsored.body);
        let sponsoring = send(&app, Method::DELETE, "/api/v1/organisations/essai", Some(&admin), None, &[]).await;
        common::assert_problem(&sponsoring, 409);
        assert!(sponsoring.body["detail"].as_str().expect("detail").contains("sponsors 1 startup(s)"));
        assert_eq!(get(&app, "/api/v1/organisations/essai").await.status, 200);
        let deletions = changes_since(&app, before).await.into_iter().filter(|c| c["action"] == "delete").count();
        assert_eq!(deletions, 0, "no deletion was recorded");
    }

    fn fresh_incubators_and_organisations_are_deleted_with_a_tombstone(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&new_organisation("essai")), &[]).await;
        let mut incubator = new_incubator("territoires");
        incubator["owner"] = json!("essai");
        send(&app, Method::POST, "/api/v1/incubators", Some(&admin), Some(&incubator), &[]).await;
        // A revoked token scoped to it does not keep it.
        issue_token(&db, "old-ci", "incubator:territoires");
        let mut conn = db.pool.get().expect("connection");
        betadata::db::tokens::Token::revoke(&mut conn, "old-ci", chrono::Utc::now().naive_utc()).expect("revoke");
        drop(conn);
        let before = latest_change(&db);
        let tag = get(&app, "/api/v1/incubators/territoires").await.etag();
        let deleted = send(&app, Method::DELETE, "/api/v1/incubators/territoires", Some(&admin), None, &[("if-match", &tag)]).await;
        assert_eq!(deleted.status, 204, "{}", deleted.body);
        assert_eq!(get(&app, "/api/v1/incubators/territoires").await.status, 404);
        let gone = send(&app, Method::DELETE, "/api/v1/incubators/territoires", Some(&admin), None, &[]).await;
        common::assert_problem(&gone, 404);
        let deleted = send(&app, Method::DELETE, "/api/v1/organisations/essai", Some(&admin), None, &[]).await;
        assert_eq!(deleted.status, 204, "{}", deleted.body);
        assert_eq!(get(&app, "/api/v1/organisations/essai").await.status, 404);
        let feed = changes_since(&app, before).await;
        let tombstones: Vec<(&str, &str, &str, bool)> = feed
            .iter()
            .map(|c| (
                c["resource"].as_str().expect("resource"),
                c["id"].as_str().expect("id"),
                c["action"].as_str().expect("action"),
                c["state"].is_null(),
            ))
            .collect();
        assert_eq!(tombstones, [("incubator", "territoires", "delete", true), ("organisation", "essai", "delete", true)]);
    }

    fn an_idempotency_key_writes_once(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let before = latest_change(&db);
        for (uri, body, other) in [
            ("/api/v1/incubators", new_incubator("une-fois"), new_incubator("autre")),
            ("/api/v1/organisations", new_organisation("une-fois"), new_organisation("autre")),
        ] {
            let key = [("idempotency-key", uri)];
            let first = send(&app, Method::POST, uri, Some(&admin), Some(&body), &key).await;
            let second = send(&app, Method::POST, uri, Some(&admin), Some(&body), &key).await;
            assert_eq!((first.status.as_u16(), second.status.as_u16()), (201, 201), "{uri}: {}", second.body);
            assert_eq!(first.body, second.body);
            assert_eq!(first.headers.get(header::LOCATION), second.headers.get(header::LOCATION));
            let reused = send(&app, Method::POST, uri, Some(&admin), Some(&other), &key).await;
            common::assert_problem(&reused, 422);
            assert_eq!(get(&app, &format!("{uri}/autre")).await.status, 404);
        }
        let feed = changes_since(&app, before).await;
        assert_eq!(feed.len(), 2, "each written once: {feed:?}");
    }
}
