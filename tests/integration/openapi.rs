//! The OpenAPI contract: the committed copy, the served copy and Swagger UI.

use crate::common;

use actix_web::test as web_test;
use betadata::api::{app, openapi};
use common::{TestDb, get};
use serde_json::Value;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

#[test]
fn committed_contract_matches_the_generated_one() {
    let generated = openapi().to_pretty_json().expect("spec renders");
    if std::env::var_os("BETADATA_UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, format!("{generated}\n")).expect("write the contract");
    }
    let committed = std::fs::read_to_string(COMMITTED).expect("openapi/openapi.json");
    assert!(
        committed.trim_end() == generated,
        "openapi/openapi.json differs from the contract the code generates; review the change, \
         then run `BETADATA_UPDATE_OPENAPI=1 cargo test --test integration openapi` to update it"
    );
}

#[test]
fn every_operation_documents_its_answers() {
    let spec = serde_json::to_value(openapi()).expect("spec as JSON");
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has an operation id");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                ["200", "201", "204"]
                    .iter()
                    .any(|s| responses.contains_key(*s)),
                "{id} documents its success"
            );
            assert!(
                operation["description"].is_string() || operation["summary"].is_string(),
                "{id} is described"
            );
        }
    }
}

#[test]
fn every_parameter_has_a_type_a_description_and_an_example() {
    let spec = serde_json::to_value(openapi()).expect("spec as JSON");
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for parameter in parameters {
                let name = parameter["name"].as_str().unwrap_or_default();
                let at = format!("{method} {path} `{name}`");
                let kind = &parameter["schema"]["type"];
                assert!(
                    kind.is_string()
                        || kind
                            .as_array()
                            .is_some_and(|k| k.iter().all(Value::is_string)),
                    "{at} has a type"
                );
                assert!(parameter["description"].is_string(), "{at} is described");
                assert!(
                    !parameter["example"].is_null() || !parameter["schema"]["example"].is_null(),
                    "{at} has an example"
                );
            }
        }
    }
}

#[actix_rt::test]
async fn the_contract_and_swagger_ui_are_served() {
    let db = TestDb::sqlite();
    let app = web_test::init_service(app(db.state())).await;
    let served = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.body, serde_json::to_value(openapi()).expect("spec"));
    let request = web_test::TestRequest::get().uri("/docs/").to_request();
    let response = web_test::call_service(&app, request).await;
    let status = response.status();
    let html = web_test::read_body(response).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&html));
    assert!(
        String::from_utf8_lossy(&html).contains("swagger"),
        "Swagger UI page"
    );
}
