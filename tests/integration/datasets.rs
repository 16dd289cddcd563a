//! The published datasets: each CSV validates against the TableSchema descriptor served with
//! it (checked here, and by `frictionless validate` when `BETADATA_FRICTIONLESS` names it), and
//! the two flat collections (phase history, observations) page exactly. The DCAT catalog has
//! its own tests, in `catalog.rs`.

use crate::common;

use std::collections::{HashMap, HashSet};

use actix_web::test;
use betadata::api::app;
use betadata::generate::{Options, generate};
use common::{assert_bad_parameter, both_backends, csv_records, get, get_text};
use serde_json::Value;

/// The environment variable naming the `frictionless` command (PyPI's frictionless).
const FRICTIONLESS_VAR: &str = "BETADATA_FRICTIONLESS";

/// A path of the API from an absolute URL the API gave.
fn local(url: &str) -> String {
    let rest = url.split_once("://").expect("absolute URL").1;
    rest[rest.find('/').expect("a path")..].to_owned()
}

/// Checks one cell against a TableSchema field, independently of the code that wrote it.
fn check_cell(field: &Value, cell: &str) -> Result<(), String> {
    let constraints = &field["constraints"];
    if cell.is_empty() {
        return match constraints["required"].as_bool() {
            Some(true) => Err("required".into()),
            _ => Ok(()),
        };
    }
    let ok = match field["type"].as_str().expect("type") {
        "string" => true,
        "integer" => cell.parse::<i64>().is_ok(),
        "number" => cell.parse::<f64>().is_ok_and(f64::is_finite),
        "date" => chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d").is_ok(),
        "datetime" => chrono::DateTime::parse_from_rfc3339(cell).is_ok(),
        other => return Err(format!("unexpected type {other}")),
    };
    if !ok {
        return Err(format!("`{cell}` is not a {}", field["type"]));
    }
    if field["format"] == "uri" && !(cell.starts_with("http://") || cell.starts_with("https://")) {
        return Err(format!("`{cell}` is not a URI"));
    }
    if let Some(values) = constraints["enum"].as_array()
        && !values.iter().any(|v| v == cell)
    {
        return Err(format!("`{cell}` is not in the enum"));
    }
    Ok(())
}

/// Validates every dataset's CSV against its descriptor: header, types, constraints, primary
/// and foreign keys. Returns the CSV text and the schema of each dataset, by id.
async fn validate_all<S, B>(app: &S) -> HashMap<String, (String, Value)>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let list = get(app, "/api/v1/datasets").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let package = get(app, "/api/v1/datapackage.json").await.body;
    let mut files = HashMap::new();
    let mut keys: HashMap<String, HashSet<String>> = HashMap::new();
    let mut references = Vec::new();
    for dataset in list.body["data"].as_array().expect("data") {
        let id = dataset["id"].as_str().expect("id").to_owned();
        let schema = get(
            app,
            &local(dataset["schema_url"].as_str().expect("schema_url")),
        )
        .await
        .body;
        assert_eq!(
            schema, dataset["schema"],
            "{id}: the schema served is the one listed"
        );
        assert!(
            schema.get("foreignKeys").is_none(),
            "{id}: a schema alone names no other resource"
        );
        let resource = package["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .find(|r| r["name"] == id.as_str())
            .expect("the dataset is in the package");
        let (status, content_type, text) = get_text(
            app,
            &local(dataset["downloads"]["csv"].as_str().expect("csv")),
        )
        .await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, "text/csv; charset=utf-8"),
            "{id}"
        );
        let (header, rows) = csv_records(&text);
        let fields = schema["fields"].as_array().expect("fields");
        let names: Vec<&str> = fields
            .iter()
            .map(|f| f["name"].as_str().expect("name"))
            .collect();
        assert_eq!(
            header, names,
            "{id}: the header is the schema's fields, in order"
        );
        assert!(!rows.is_empty(), "{id}: the dataset has rows");
        let column = |name: &str| names.iter().position(|n| *n == name).expect("a column");
        let mut unique: HashMap<usize, HashSet<String>> = HashMap::new();
        let mut primary = HashSet::new();
        let primary_key: Vec<usize> = schema["primaryKey"]
            .as_array()
            .expect("primaryKey")
            .iter()
            .map(|k| column(k.as_str().expect("key")))
            .collect();
        for (line, row) in rows.iter().enumerate() {
            assert_eq!(row.len(), fields.len(), "{id} row {line}");
            for (i, (field, cell)) in fields.iter().zip(row).enumerate() {
                if let Err(why) = check_cell(field, cell) {
                    panic!("{id} row {line} column {}: {why}", names[i]);
                }
                if field["constraints"]["unique"] == true {
                    assert!(
                        unique.entry(i).or_default().insert(cell.clone()),
                        "{id}: {cell} twice"
                    );
                }
            }
            let key: Vec<&str> = primary_key.iter().map(|&i| row[i].as_str()).collect();
            assert!(
                primary.insert(key.join("\u{1f}")),
                "{id}: primary key {key:?} twice"
            );
            if names.contains(&"id") {
                keys.entry(id.clone())
                    .or_default()
                    .insert(row[column("id")].clone());
            }
        }
        for fk in resource["schema"]["foreignKeys"]
            .as_array()
            .expect("foreignKeys")
        {
            let from = column(fk["fields"][0].as_str().expect("field"));
            let to = fk["reference"]["resource"]
                .as_str()
                .expect("resource")
                .to_owned();
            assert_eq!(fk["reference"]["fields"][0], "id");
            for row in &rows {
                if !row[from].is_empty() {
                    references.push((id.clone(), to.clone(), row[from].clone()));
                }
            }
        }
        files.insert(id, (text, schema));
    }
    for (from, to, value) in references {
        assert!(
            keys.get(&to).is_some_and(|ids| ids.contains(&value)),
            "{from}: `{value}` is not an id of {to}"
        );
    }
    files
}

/// Runs `frictionless validate` on each file against its schema alone, as schema.data.gouv.fr
/// advises, then on a Data Package naming them all, foreign keys included, when the command is
/// available; says so when it is not.
///
/// A schema alone cannot state the CSV dialect, so frictionless guesses it from the rows: on
/// the seeds and generated portfolios it guesses right, but cells neutralised against formulas
/// (a `'`, a tab) can mislead it. With `state_dialect`, the single-file runs are given the
/// dialect the package states (`--dialect`).
async fn frictionless_validate<S, B>(
    app: &S,
    files: &HashMap<String, (String, Value)>,
    state_dialect: bool,
) where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let Ok(command) = std::env::var(FRICTIONLESS_VAR) else {
        eprintln!(
            "frictionless validation skipped: set {FRICTIONLESS_VAR} to the frictionless command to run it"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut package = get(app, "/api/v1/datapackage.json").await.body;
    for resource in package["resources"].as_array_mut().expect("resources") {
        let name = resource["name"].as_str().expect("name").to_owned();
        let (text, schema) = &files[&name];
        let mut alone = resource["schema"].clone();
        alone
            .as_object_mut()
            .expect("a schema")
            .remove("foreignKeys");
        assert_eq!(
            &alone, schema,
            "{name}: the package holds the same schema, with its foreign keys"
        );
        std::fs::write(dir.path().join(format!("{name}.csv")), text).expect("write CSV");
        let schema_file = format!("{name}.schema.json");
        std::fs::write(dir.path().join(&schema_file), schema.to_string()).expect("write schema");
        let csv_file = format!("{name}.csv");
        let dialect = resource["dialect"].to_string();
        let mut args = vec!["validate", "--json", "--schema", &schema_file, &csv_file];
        if state_dialect {
            args.extend(["--dialect", &dialect]);
        }
        let report = run_frictionless(&command, dir.path(), &args);
        assert_eq!(report["valid"], true, "{name} alone: {report:#}");
        resource["path"] = format!("{name}.csv").into();
    }
    std::fs::write(dir.path().join("datapackage.json"), package.to_string())
        .expect("write package");
    let report = run_frictionless(
        &command,
        dir.path(),
        &["validate", "--json", "datapackage.json"],
    );
    assert_eq!(report["valid"], true, "frictionless report: {report:#}");
    assert_eq!(
        report["tasks"].as_array().expect("tasks").len(),
        files.len()
    );
}

/// The JSON report of `command args` run in `dir`; its exit status agrees with the report.
fn run_frictionless(command: &str, dir: &std::path::Path, args: &[&str]) -> Value {
    let output = std::process::Command::new(command)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{FRICTIONLESS_VAR}={command} does not run: {e}"));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "frictionless printed no report: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        output.status.success(),
        report["valid"] == true,
        "{args:?}: exit status {}",
        output.status
    );
    report
}

both_backends! {
    fn every_csv_validates_against_its_table_schema(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let files = validate_all(&app).await;
        assert_eq!(files.len(), 7);
        frictionless_validate(&app, &files, false).await;
    }

    fn planted_formulas_validate_once_neutralised(db) {
        // Ids and texts that begin like spreadsheet formulas are written with a `'` before
        // them: the cells must still fit their columns, and keys and references still match.
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        common::plant_formulas(&db, &app).await;
        let files = validate_all(&app).await;
        let (startups, _) = &files["startups"];
        let ids: Vec<String> = csv_records(startups).1.into_iter().map(|row| row[0].clone()).collect();
        assert!(ids.contains(&"'=csv".to_owned()) && ids.contains(&"''=csv".to_owned()), "{ids:?}");
        frictionless_validate(&app, &files, true).await;
    }

    fn a_generated_portfolio_validates_too(db) {
        {
            let mut conn = db.pool.get().expect("connection");
            let options = Options { startups: 300, observations: 3_000, seed: 7, progress: false };
            generate(&mut conn, &options).expect("generate");
        }
        let app = test::init_service(app(db.state())).await;
        let files = validate_all(&app).await;
        let (startups, _) = &files["startups"];
        assert_eq!(csv_records(startups).1.len(), 300);
        frictionless_validate(&app, &files, false).await;
    }

    fn the_dataset_list_gives_downloads_and_schemas(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let list = get(&app, "/api/v1/datasets").await.body;
        let ids: Vec<&str> = list["data"].as_array().expect("data").iter().map(|d| d["id"].as_str().expect("id")).collect();
        assert_eq!(ids, ["startups", "phase-history", "incubators", "organisations", "phases", "metrics", "observations"]);
        let startups = get(&app, "/api/v1/datasets/startups").await;
        assert_eq!(startups.status, 200);
        assert_eq!(startups.body["license"], "etalab-2.0");
        assert_eq!(startups.body["downloads"]["csv"], "http://localhost:8080/api/v1/startups?format=csv");
        let (status, content_type, _) = get_text(&app, "/api/v1/datasets/startups/schema.json").await;
        assert_eq!((status, content_type.as_str()), (200, "application/schema+json"));
        let fields = &startups.body["schema"]["fields"];
        let phase = fields.as_array().expect("fields").iter().find(|f| f["name"] == "current_phase").expect("current_phase");
        assert!(phase["constraints"]["enum"].as_array().expect("enum").contains(&"transfere".into()));
        let missing = get(&app, "/api/v1/datasets/nope").await;
        common::assert_problem(&missing, 404);
        let (status, content_type, csv) = get_text(&app, "/api/v1/datasets?format=csv").await;
        assert_eq!((status, content_type.as_str()), (200, "text/csv; charset=utf-8"));
        assert_eq!(csv_records(&csv).1.len(), 7);
    }

    fn the_phase_history_pages_each_row_once(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let all = get(&app, "/api/v1/phase-history?page_size=1000").await.body;
        let total = all["meta"]["total"].as_u64().expect("total");
        let expected: Vec<Value> = all["data"].as_array().expect("data").clone();
        assert_eq!(expected.len() as u64, total);
        let pairs: Vec<(String, String)> = expected.iter().map(|r| (r["startup"].as_str().expect("startup").to_owned(), r["start"].as_str().expect("start").to_owned())).collect();
        assert!(pairs.windows(2).all(|w| w[0] < w[1]), "ordered by startup then start, each once");
        let mut seen = Vec::new();
        let mut next = Some("/api/v1/phase-history?page_size=3".to_owned());
        while let Some(uri) = next.take() {
            let page = get(&app, &uri).await;
            assert_eq!(page.status, 200, "{}", page.body);
            seen.extend(page.body["data"].as_array().expect("data").iter().cloned());
            next = page.body["links"]["next"].as_str().map(local);
        }
        assert_eq!(seen, expected);
        let medle = get(&app, "/api/v1/phase-history?startup=medle").await.body;
        let phases: Vec<&str> = medle["data"].as_array().expect("data").iter().map(|r| r["phase"].as_str().expect("phase")).collect();
        let item = get(&app, "/api/v1/startups/medle/phases").await.body;
        let item_phases: Vec<&str> = item["data"].as_array().expect("data").iter().map(|r| r["phase"].as_str().expect("phase")).collect();
        assert_eq!(phases, item_phases);
        let built = get(&app, "/api/v1/phase-history?phase=construction&page_size=1000").await.body;
        assert!(built["data"].as_array().expect("data").iter().all(|r| r["phase"] == "construction"));
        assert!(built["meta"]["total"].as_u64().expect("total") > 0);
        assert_bad_parameter(&get(&app, "/api/v1/phase-history?phase=success").await, "phase", "unknown phase");
        let startup_cursor = get(&app, "/api/v1/startups?page_size=1").await.body["links"]["next"].as_str().map(local).expect("next");
        let cursor = startup_cursor.split("cursor=").nth(1).expect("cursor").to_owned();
        assert_bad_parameter(&get(&app, &format!("/api/v1/phase-history?cursor={cursor}")).await, "cursor", "a cursor of /startups");
    }

    fn observations_of_every_metric_page_and_filter(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let all = get(&app, "/api/v1/observations?page_size=1000").await.body;
        let rows = all["data"].as_array().expect("data").clone();
        assert_eq!(rows.len() as u64, all["meta"]["total"].as_u64().expect("total"));
        let mut seen = Vec::new();
        let mut next = Some("/api/v1/observations?page_size=7".to_owned());
        while let Some(uri) = next.take() {
            let page = get(&app, &uri).await.body;
            seen.extend(page["data"].as_array().expect("data").iter().cloned());
            next = page["links"]["next"].as_str().map(local);
        }
        assert_eq!(seen, rows);
        let one = get(&app, "/api/v1/observations?metric=medle-actes-enregistres").await.body;
        let values: Vec<&Value> = one["data"].as_array().expect("data").iter().map(|o| &o["value"]).collect();
        let direct = get(&app, "/api/v1/metrics/medle-actes-enregistres/observations").await.body;
        let direct_values: Vec<&Value> = direct["data"].as_array().expect("data").iter().map(|o| &o["value"]).collect();
        assert!(!values.is_empty());
        assert_eq!(values, direct_values);
    }
}
