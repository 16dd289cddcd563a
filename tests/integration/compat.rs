//! beta.gouv.fr's API v2.7 files under `/compat/v2.7`: their shapes, values for known seeded
//! startups, CSV quoting, validators and methods, on both backends.

use crate::common;

use std::collections::BTreeSet;

use actix_web::http::{Method, header};
use actix_web::test;
use betadata::api::app;
use betadata::db::Keyed;
use betadata::db::startups::{Relations, Startup, StartupGraph};
use common::{assert_problem, both_backends, call, get};
use serde_json::{Value, json};

/// Status, headers and body text of a GET.
async fn fetch<S, B>(app: &S, uri: &str) -> (u16, header::HeaderMap, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let response = test::call_service(app, test::TestRequest::get().uri(uri).to_request()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = String::from_utf8(test::read_body(response).await.to_vec()).expect("UTF-8");
    (status, headers, body)
}

/// The header row and the records of a `;`-separated CSV.
fn records(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    common::csv_records_with(text, b';')
}

/// Every id of a v1 collection, in order.
async fn v1_ids<S, B>(app: &S, collection: &str) -> Vec<String>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    common::collect_ids(app, &format!("{collection}?page_size=1000")).await
}

/// The keys of a JSON object.
fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

const HEADER_LINE: &str =
    "id;name;mission;start;status;incubator;stats;link;repository;accessibility;contact;incubators";

const FILES: [&str; 7] = [
    "/compat/v2.7/startups.json",
    "/compat/v2.7/startups.csv",
    "/compat/v2.7/incubators.json",
    "/compat/v2.7/organisations.json",
    "/compat/v2.7/startups_details.json",
    "/compat/v2.7/sponsors.json",
    "/compat/v2.7/authors.json",
];

/// A startup whose name and pitch hold the CSV delimiter, quotes and a line break.
fn awkward_startup() -> StartupGraph {
    StartupGraph {
        startup: Startup {
            id: "zz-awkward".into(),
            name: "Dites \"bonjour\"; au revoir".into(),
            pitch: Some("Deux lignes;\nune \"citation\"".into()),
            incubator_id: Some("dinum".into()),
            link: None,
            repository: None,
            contact: Some("a@b.fr".into()),
            description: Some("Texte & co".into()),
            // Derived from the phases when the graph is stored.
            created_on: None,
            latest_phase_id: None,
            latest_phase_start: None,
            updated_at: "2025-01-01T00:00:00".parse().expect("time"),
            stats_url: None,
            accessibility_status: None,
        },
        relations: Relations::default(),
    }
}

both_backends! {
    fn startups_json_is_json_api_with_included_incubators(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let (status, headers, text) = fetch(&app, FILES[0]).await;
        assert_eq!(status, 200);
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "application/json");
        let body: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(keys(&body), set(&["links", "data", "included"]));
        assert!(body["links"]["self"].as_str().unwrap().ends_with("/compat/v2.7/startups.json"));
        let data = body["data"].as_array().unwrap();
        let ids: Vec<String> = data.iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, v1_ids(&app, "/api/v1/startups").await, "every startup, in id order");
        let included = body["included"].as_array().unwrap();
        let included_ids: BTreeSet<&str> = included.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(included_ids.len(), included.len(), "each incubator once");
        let mut referenced = BTreeSet::new();
        for startup in data {
            assert_eq!(startup["type"], "startup");
            let attributes = startup["attributes"].as_object().unwrap();
            for key in ["name", "pitch", "stats_url", "contact", "content_url_encoded_markdown"] {
                assert!(attributes[key].is_string(), "{key} of {}", startup["id"]);
            }
            for key in ["events", "phases", "sponsors", "thematiques", "technos"] {
                assert!(attributes[key].is_array(), "{key} of {}", startup["id"]);
            }
            assert_eq!(attributes.contains_key("link"), attributes.contains_key("impact_url"));
            let to_one = &startup["relationships"]["incubator"]["data"];
            assert_eq!(to_one["type"], "incubator");
            let to_many = startup["relationships"]["incubators"]["data"].as_array().unwrap();
            match to_one["id"].as_str().unwrap() {
                "" => assert!(to_many.is_empty()),
                id => {
                    assert_eq!(to_many, &vec![to_one.clone()]);
                    assert!(included_ids.contains(id), "{id} is included");
                    referenced.insert(id);
                }
            }
        }
        assert!(referenced.is_subset(&included_ids), "every referenced incubator is included");
        assert_eq!(
            included_ids.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
            v1_ids(&app, "/api/v1/incubators").await,
            "included holds every public incubator, as the template lists them"
        );
        for incubator in included {
            assert_eq!(incubator["type"], "incubator");
            assert_eq!(keys(&incubator["attributes"]), set(&["title", "owner", "website", "github", "contact"]));
        }
        let sgmas = included.iter().find(|i| i["id"] == "sgmas").unwrap();
        assert_eq!(sgmas["attributes"]["owner"], "/organisations/solidarite-sante");
        assert_eq!(sgmas["attributes"]["github"], "");

        let medle = data.iter().find(|s| s["id"] == "medle").unwrap();
        let attributes = &medle["attributes"];
        assert_eq!(attributes["name"], "Medlé");
        assert!(attributes["pitch"].as_str().unwrap().starts_with("Un outil pour que les structures de médecine légale"));
        assert_eq!(attributes["stats_url"], "");
        assert!(attributes.get("link").is_none() && attributes.get("accessibility_status").is_none());
        assert_eq!(
            attributes["phases"],
            json!([
                {"name": "investigation", "start": "2019-06-15", "end": "2019-08-14"},
                {"name": "construction", "start": "2019-09-01", "end": "2020-06-01"},
                {"name": "acceleration", "start": "2020-06-01", "end": "2021-06-30"},
                {"name": "transfere", "start": "2021-07-01", "end": ""},
            ])
        );
        assert_eq!(attributes["sponsors"], json!(["dgos"]));
        assert_eq!(attributes["technos"], json!([]));
        assert_eq!(attributes["events"][0]["name"], "transfert");
        assert_eq!(attributes["events"][0]["date"], "2021-07-01");
        assert!(attributes["content_url_encoded_markdown"].as_str().unwrap().starts_with("Les%20actes%20de%20m%C3%A9decine"));
        assert_eq!(medle["relationships"]["incubator"]["data"], json!({"type": "incubator", "id": "sgmas"}));

        let covid = data.iter().find(|s| s["id"] == "covid19-orientation").unwrap();
        assert_eq!(covid["attributes"]["link"], "https://www.gouvernement.fr/info-coronavirus/orientation-medicale");
        assert_eq!(covid["attributes"]["impact_url"], "");
        assert_eq!(covid["attributes"]["phases"], json!([]));
    }

    fn startups_csv_has_upstream_columns_and_quotes_properly(db) {
        let db = db.seeded();
        let mut conn = db.pool.get().unwrap();
        awkward_startup().insert(&mut conn).expect("insert");
        drop(conn);
        let app = test::init_service(app(db.state())).await;
        let (status, headers, text) = fetch(&app, FILES[1]).await;
        assert_eq!(status, 200);
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
        assert_eq!(text.split("\r\n").next(), Some(HEADER_LINE), "the header, exactly");
        let (header, rows) = records(&text);
        assert_eq!(header.join(";"), HEADER_LINE);
        let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(ids, v1_ids(&app, "/api/v1/startups").await, "a row per startup, in id order");
        assert!(rows.iter().all(|r| r.len() == 12));
        let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap().clone();
        let medle = row("medle");
        assert_eq!(
            medle,
            [
                "medle",
                "Medlé",
                "Un outil pour que les structures de médecine légale déclarent leur activité judiciaire et leurs effectifs.",
                "2019-06-15",
                "transfere",
                "sgmas",
                "null",
                "null",
                "null",
                "",
                "",
                "sgmas",
            ]
        );
        let covid = row("covid19-orientation");
        assert_eq!(covid[3..5], ["", ""], "no phase: no start, no status");
        assert_eq!(covid[7], "https://www.gouvernement.fr/info-coronavirus/orientation-medicale");
        assert_eq!(covid[8], "https://github.com/Delegation-numerique-en-sante/covid19-algorithme-orientation");
        let awkward = row("zz-awkward");
        assert_eq!(awkward[1], "Dites \"bonjour\"; au revoir");
        assert_eq!(awkward[2], "Deux lignes;\nune \"citation\"");
        assert_eq!(awkward[10], "a@b.fr");
        assert!(
            text.contains("zz-awkward;\"Dites \"\"bonjour\"\"; au revoir\";\"Deux lignes;\nune \"\"citation\"\"\";;;dinum;null;null;null;;a@b.fr;dinum\r\n"),
            "quoted per RFC 4180: {}",
            text.lines().rev().take(3).collect::<Vec<_>>().join(" / ")
        );
        // The same startup stays valid JSON in startups.json.
        let body: Value = serde_json::from_str(&fetch(&app, FILES[0]).await.2).expect("valid JSON");
        let item = body["data"].as_array().unwrap().iter().find(|s| s["id"] == "zz-awkward").unwrap().clone();
        assert_eq!(item["attributes"]["name"], "Dites \"bonjour\"; au revoir");
        assert_eq!(item["attributes"]["content_url_encoded_markdown"], "Texte%20%26%20co");
    }

    fn incubators_json_is_keyed_by_incubator(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let (status, headers, text) = fetch(&app, FILES[2]).await;
        assert_eq!(status, 200);
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "application/json");
        let body: Value = serde_json::from_str(&text).expect("valid JSON");
        let entries = body.as_object().expect("an object keyed by id");
        let keys: Vec<String> = entries.keys().cloned().collect();
        assert_eq!(keys, v1_ids(&app, "/api/v1/incubators").await);
        let mut listed = 0;
        for (id, entry) in entries {
            let hosted = get(&app, &format!("/api/v1/incubators/{id}/startups")).await.body["meta"]["total"].as_u64().unwrap();
            match entry.get("startups") {
                Some(startups) => {
                    assert!(hosted > 0, "{id}");
                    assert_eq!(startups.as_array().unwrap().len() as u64, hosted, "{id}");
                    listed += hosted;
                }
                None => assert_eq!(hosted, 0, "{id}: no key without startups"),
            }
            for key in ["title", "owner", "contact", "address", "website", "github"] {
                assert!(entry.get(key).is_some(), "{id}.{key}");
            }
            assert!(entry["github"].is_null());
        }
        let with_incubator = get(&app, "/api/v1/startups").await.body["meta"]["total"].as_u64().unwrap();
        assert!(listed > 0 && listed <= with_incubator);
        let sgmas = &entries["sgmas"];
        assert_eq!(sgmas["title"], "Fabrique numérique des ministères sociaux");
        assert_eq!(sgmas["owner"], "/organisations/solidarite-sante");
        assert_eq!(sgmas["address"], "8 rue François Ory, 92160 Montrouge");
        let medle = sgmas["startups"].as_array().unwrap().iter().find(|s| s["id"] == "medle").unwrap();
        assert_eq!(medle["name"], "Medlé");
        assert!(medle["repository"].is_null() && medle["contact"].is_null());
        assert_eq!(medle["phases"][3], json!({"name": "transfere", "start": "2021-07-01"}));
        assert_eq!(medle["phases"][0]["end"], "2019-08-14");
        assert!(entries["lab-mi"]["website"].is_null());
    }

    fn organisations_json_is_an_array(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, FILES[3]).await;
        assert_eq!(reply.status.as_u16(), 200);
        let items = reply.body.as_array().expect("an array");
        let ids: Vec<String> = items.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, v1_ids(&app, "/api/v1/organisations").await);
        for item in items {
            assert_eq!(keys(item), set(&["id", "name", "acronym", "domaine_ministeriel", "type"]));
        }
        let dinum = items.iter().find(|o| o["id"] == "dinum").unwrap();
        assert_eq!(
            dinum,
            &json!({
                "id": "dinum",
                "name": "Direction interministérielle du numérique",
                "acronym": "DINUM",
                "domaine_ministeriel": "",
                "type": "administration-centrale",
            })
        );
    }

    fn files_carry_validators_and_refuse_other_methods(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for uri in FILES {
            let (status, headers, _) = fetch(&app, uri).await;
            assert_eq!(status, 200, "{uri}");
            let etag = headers.get(header::ETAG).expect("ETag").to_str().unwrap().to_owned();
            assert!(headers.contains_key(header::LAST_MODIFIED), "{uri}: Last-Modified");
            let again = test::call_service(
                &app,
                test::TestRequest::get().uri(uri).insert_header((header::IF_NONE_MATCH, etag)).to_request(),
            )
            .await;
            assert_eq!(again.status().as_u16(), 304, "{uri}");
            assert_eq!(call(&app, Method::HEAD, uri).await.status.as_u16(), 200, "{uri}");
            let reply = call(&app, Method::POST, uri).await;
            assert_problem(&reply, 405);
            assert_eq!(reply.headers.get("allow").unwrap(), "GET, HEAD", "{uri}");
        }
        assert_eq!(get(&app, "/compat/v2.7/authors.json").await.body, json!([]), "no member is held");
        assert_problem(&get(&app, "/compat/v2.6/startups.json").await, 404);
    }

    fn the_whole_portfolio_streams_across_chunks(db) {
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 2500, observations: 10, seed: 11, progress: false }).expect("generate");
        drop(conn);
        let app = test::init_service(app(db.state())).await;
        let body: Value = serde_json::from_str(&fetch(&app, FILES[0]).await.2).expect("valid JSON");
        let mut ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 2500);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "each once, in id order");
        ids.dedup();
        assert_eq!(ids.len(), 2500);
        let (_, rows) = records(&fetch(&app, FILES[1]).await.2);
        assert_eq!(rows.len(), 2500);
        let incubators: Value = serde_json::from_str(&fetch(&app, FILES[2]).await.2).expect("valid JSON");
        let hosted: usize = incubators
            .as_object()
            .unwrap()
            .values()
            .map(|entry| entry.get("startups").and_then(Value::as_array).map_or(0, Vec::len))
            .sum();
        let with_incubator = body["data"].as_array().unwrap().iter().filter(|s| s["relationships"]["incubator"]["data"]["id"] != "").count();
        assert_eq!(hosted, with_incubator);
    }
}
