//! Formula-safe CSV (issue 16), on both backends: ids and texts written through the API that a
//! spreadsheet would run as formulas (`=HYPERLINK(…)`, `-1+1`, `@SUM(…)`, a tab or a carriage
//! return first) come out of every CSV published with a `'` before them, numbers and dates as
//! they are, while JSON and NDJSON hold the texts exactly.

use crate::common;

use std::collections::HashMap;

use actix_web::test;
use betadata::api::app;
use betadata::api::shape::write::path_segment;
use common::{
    FORMULA_STARTS, PLANTED_INCUBATOR, PLANTED_METRIC, PLANTED_ORGANISATION, PLANTED_STARTUP,
    PLANTED_TOKEN, both_backends, csv_records_with, formula, get, get_text, plant_formulas,
    planted_startups,
};
use serde_json::Value;

/// What a CSV must hold for `text` in a text column, worked out here rather than by the code
/// under test: one more `'` before a text that begins, after any `'`, like a formula.
fn published(text: &str) -> String {
    if text.trim_start_matches('\'').starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Whether a cell that begins like a formula is a number, a date or a time: what a typed
/// column may hold as it is.
fn is_typed_value(cell: &str) -> bool {
    cell.parse::<f64>().is_ok()
        || chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d").is_ok()
        || chrono::DateTime::parse_from_rfc3339(cell).is_ok()
}

/// A CSV file, read.
struct Table {
    uri: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// The rows whose `column` holds `value`, each as a map from column to cell.
    fn rows_where(&self, column: &str, value: &str) -> Vec<HashMap<&str, &str>> {
        let at = self
            .header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("{}: no column {column}", self.uri));
        self.rows
            .iter()
            .filter(|row| row[at] == value)
            .map(|row| {
                self.header
                    .iter()
                    .map(String::as_str)
                    .zip(row.iter().map(String::as_str))
                    .collect()
            })
            .collect()
    }

    /// The one row whose `column` holds `value`.
    fn row(&self, column: &str, value: &str) -> HashMap<&str, &str> {
        let mut rows = self.rows_where(column, value);
        assert_eq!(
            rows.len(),
            1,
            "{}: one row with {column} = {value:?}",
            self.uri
        );
        rows.remove(0)
    }
}

/// Fetches `uri` as CSV separated by `delimiter`, and asserts that no cell of it could run as
/// a formula: one that begins like a formula is a number, a date or a time.
async fn fetch_csv<S, B>(app: &S, uri: &str, delimiter: u8) -> Table
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let (status, content_type, text) = get_text(app, uri).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/csv; charset=utf-8"),
        "{uri}: {text}"
    );
    let (header, rows) = csv_records_with(&text, delimiter);
    for row in &rows {
        for (column, cell) in header.iter().zip(row) {
            assert!(
                !cell.starts_with(FORMULA_STARTS) || is_typed_value(cell),
                "{uri}: {column} = {cell:?} would run as a formula"
            );
        }
    }
    Table {
        uri: uri.to_owned(),
        header,
        rows,
    }
}

/// A JSON document's array of items, or the items of an NDJSON text.
fn items(json: &Value) -> &Vec<Value> {
    json["data"].as_array().expect("data")
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("one JSON per line"))
        .collect()
}

both_backends! {
    fn planted_formulas_are_neutralised_in_every_csv(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        plant_formulas(&db, &app).await;
        let incubator = published(PLANTED_INCUBATOR);
        let organisation = published(PLANTED_ORGANISATION);
        let startup = published(PLANTED_STARTUP);
        let metric = published(PLANTED_METRIC);

        for uri in ["/api/v1/startups?format=csv", "/api/v1/startups?format=csv&page_size=1000"] {
            let startups = fetch_csv(&app, uri, b',').await;
            for (id, name, pitch) in planted_startups() {
                let row = startups.row("id", &published(&id));
                assert_eq!(row["name"], published(&name), "{uri}: {id}");
                assert_eq!(row["pitch"], published(&pitch), "{uri}: {id}");
                assert_eq!(row["incubator"], incubator);
                assert_eq!(row["sponsors"], organisation);
                assert_eq!(row["usertypes"], "'=usager");
                assert_eq!(row["contact"], "'-team@example.org");
                assert_eq!(row["current_phase"], "construction");
                assert_eq!((row["created"], row["investigation_start"]), ("2024-01-15", "2024-01-15"));
                assert_eq!((row["investigation_end"], row["construction_start"]), ("2024-06-30", "2024-07-01"));
                assert!(chrono::DateTime::parse_from_rfc3339(row["updated"]).is_ok(), "{uri}: {id}");
            }
            // A text that begins with a quote and then a formula gets one more quote, so that
            // the two startups stay apart; a quote before anything else is left as it is.
            let quoted = startups.row("id", "''=csv");
            assert_eq!((quoted["name"], quoted["pitch"]), ("''=already quoted", "'plain quote"));
            assert_eq!(startups.row("id", "formula-0")["name"], "'=HYPERLINK(\"https://evil.example/name\",\"name\")");
            assert_eq!(startups.row("id", "formula-4")["name"], "'\tHYPERLINK(\"https://evil.example/name\",\"name\")");
        }

        let history = fetch_csv(&app, "/api/v1/phase-history?format=csv", b',').await;
        let phases = history.rows_where("startup", &startup);
        let spans: Vec<(&str, &str, &str)> = phases.iter().map(|r| (r["phase"], r["start"], r["end"])).collect();
        assert_eq!(spans, [("investigation", "2024-01-15", "2024-06-30"), ("construction", "2024-07-01", "")]);

        let incubators = fetch_csv(&app, "/api/v1/incubators?format=csv", b',').await;
        let row = incubators.row("id", &incubator);
        assert_eq!(row["title"], published(&formula('+', "incubator")));
        assert_eq!((row["owner"], row["address"], row["description"]), (organisation.as_str(), "'-rue", "'@description"));

        let organisations = fetch_csv(&app, "/api/v1/organisations?format=csv", b',').await;
        let row = organisations.row("id", &organisation);
        assert_eq!((row["name"], row["acronym"], row["kind"]), (published(&formula('=', "org")).as_str(), "'-ORG", "autre"));

        let metrics = fetch_csv(&app, "/api/v1/metrics?format=csv", b',').await;
        let row = metrics.row("id", &metric);
        assert_eq!((row["label"], row["unit"], row["description"]), ("'=label", "'+unit", "'@description"));
        assert_eq!(row["startup"], startup);
        assert_eq!((row["latest_date"], row["latest_value"]), ("2025-02-28", "-12"), "typed cells as they are");

        let expected = [("2025-01-31", "2025-01-01", "-3.5", "'=note"), ("2025-02-28", "", "-12", "'\tnote")];
        let observations = fetch_csv(&app, "/api/v1/observations?format=csv", b',').await;
        let rows = observations.rows_where("metric", &metric);
        let found: Vec<_> = rows.iter().map(|r| (r["date"], r["start"], r["value"], r["note"])).collect();
        assert_eq!(found, expected);
        let uri = format!("/api/v1/metrics/{}/observations?format=csv", path_segment(PLANTED_METRIC));
        let of_metric = fetch_csv(&app, &uri, b',').await;
        let found: Vec<_> = of_metric.rows.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[4].as_str())).collect();
        assert_eq!(found, expected);

        let changes = fetch_csv(&app, "/api/v1/changes?format=csv", b',').await;
        let written = changes.rows_where("by", "admin");
        // Each write, and the startup shown changed by the metric and by its observations, and
        // the metric by its observations.
        assert_eq!(written.len(), 2 + planted_startups().len() + 1 + 2 + 3, "every write, by an admin token");
        assert!(changes.rows.iter().flatten().all(|cell| !cell.contains(PLANTED_TOKEN.trim_start_matches('@'))), "the feed names no token");
        let ids: Vec<&str> = written.iter().map(|r| r["id"]).collect();
        for id in [organisation.as_str(), &incubator, &startup, "''=csv", &metric] {
            assert!(ids.contains(&id), "{id} in {ids:?}");
        }
        assert!(written.iter().all(|r| r["state"].starts_with('{') && r["seq"].parse::<i64>().is_ok()));
        let uri = format!("/api/v1/startups/{}/history?format=csv", path_segment(PLANTED_STARTUP));
        let own = fetch_csv(&app, &uri, b',').await;
        assert_eq!(own.rows_where("id", &startup).len(), own.rows.len());
        assert!(!own.rows.is_empty());

        let compat = fetch_csv(&app, "/compat/v2.7/startups.csv", b';').await;
        let row = compat.row("id", &startup);
        assert_eq!((row["name"], row["mission"]), ("'-1+1", "'@SUM(1;2)"));
        assert_eq!((row["start"], row["status"]), ("2024-01-15", "construction"));
        assert_eq!((row["incubator"], row["incubators"]), (incubator.as_str(), incubator.as_str()));
        assert_eq!((row["contact"], row["link"]), ("'-team@example.org", "null"));
        for (id, name, pitch) in planted_startups() {
            let row = compat.row("id", &published(&id));
            assert_eq!((row["name"], row["mission"]), (published(&name).as_str(), published(&pitch).as_str()), "{id}");
        }
    }

    fn json_and_ndjson_keep_the_texts_exactly(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        plant_formulas(&db, &app).await;
        let (_, _, text) = get_text(&app, "/api/v1/startups?format=ndjson").await;
        let lines = ndjson(&text);
        let compat = get(&app, "/compat/v2.7/startups.json").await.body;
        for (id, name, pitch) in planted_startups() {
            let one = get(&app, &format!("/api/v1/startups/{}", path_segment(&id))).await;
            assert_eq!(one.status, 200, "{id}");
            assert_eq!((&one.body["name"], &one.body["pitch"]), (&Value::from(name.clone()), &Value::from(pitch.clone())), "{id}");
            assert_eq!(one.body["incubator"]["id"], PLANTED_INCUBATOR, "{}", one.body);
            assert_eq!(one.body["sponsors"][0]["id"], PLANTED_ORGANISATION, "{}", one.body);
            assert_eq!(one.body["contact"], "-team@example.org", "{}", one.body);
            let line = lines.iter().find(|l| l["id"] == id.as_str()).unwrap_or_else(|| panic!("{id} in the NDJSON"));
            assert_eq!((&line["name"], &line["pitch"]), (&one.body["name"], &one.body["pitch"]), "{id}");
            let item = items(&compat).iter().find(|s| s["id"] == id.as_str()).unwrap_or_else(|| panic!("{id} in startups.json"));
            assert_eq!((&item["attributes"]["name"], &item["attributes"]["pitch"]), (&one.body["name"], &one.body["pitch"]), "{id}");
        }
        let tab = planted_startups().into_iter().find(|(_, name, _)| name.starts_with('\t')).expect("a tab");
        assert!(FORMULA_STARTS.iter().all(|&c| planted_startups().iter().any(|(_, name, _)| name.starts_with(c))));
        assert_eq!(tab.1, formula('\t', "name"));

        let metric = get(&app, &format!("/api/v1/metrics/{}", path_segment(PLANTED_METRIC))).await.body;
        assert_eq!((&metric["label"], &metric["unit"], &metric["startup"]), (&"=label".into(), &"+unit".into(), &PLANTED_STARTUP.into()));
        let (_, _, text) = get_text(&app, "/api/v1/observations?format=ndjson").await;
        let notes: Vec<(Value, Value)> = ndjson(&text).into_iter().filter(|o| o["metric"] == PLANTED_METRIC).map(|o| (o["value"].clone(), o["note"].clone())).collect();
        assert_eq!(notes, [(Value::from(-3.5), Value::from("=note")), (Value::from(-12), Value::from("\tnote"))]);
        let changes = get(&app, "/api/v1/changes?page_size=1000").await.body;
        assert!(items(&changes).iter().any(|c| c["by"] == "admin" && c["id"] == PLANTED_STARTUP));
    }
}
