//! The DCAT-AP catalog: it conforms to DCAT-AP 3.0.1 as the profile's own SHACL shapes check
//! it (with pyshacl, when `BETADATA_PYSHACL_PYTHON` names a Python that has it), each dataset
//! covers the dated data, and every download it points at answers.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use actix_web::test;
use betadata::api::app;
use chrono::NaiveDate;
use common::{both_backends, get_text};
use serde_json::{Value, json};

/// The environment variable naming a Python that has rdflib, to read the catalog as RDF.
const RDFLIB_VAR: &str = "BETADATA_RDFLIB_PYTHON";
/// The environment variable naming a Python that has pyshacl (PyPI), to validate the catalog.
const PYSHACL_VAR: &str = "BETADATA_PYSHACL_PYTHON";

/// DCAT-AP 3.0.1's SHACL shapes, copied unchanged from the official release.
const SHAPES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dcat-ap-3.0.1");
/// Those whose every result is a violation: none may be left.
const MANDATORY: [&str; 2] = ["shapes.ttl", "range.ttl"];
/// Those whose results are warnings: only those [`unanswerable`] may be left.
const ADVISORY: [&str; 2] = ["shapes_recommended.ttl", "deprecateduris.ttl"];

/// Runs `script` with the Python that `var` names, the document on its standard input; returns
/// the JSON it prints.
fn run_python(var: &str, python: &str, script: &str, args: &[String], input: &str) -> Value {
    let mut child = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{var}={python} does not run: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the catalog");
    let output = child.wait_with_output().expect("python");
    assert!(
        output.status.success(),
        "{var}={python} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON printed")
}

/// Reads a JSON-LD document with rdflib and counts what a DCAT harvester looks for, when such a
/// Python is available; `None` when it is not.
fn rdf_counts(json_ld: &str) -> Option<Value> {
    let Ok(python) = std::env::var(RDFLIB_VAR) else {
        eprintln!("RDF reading skipped: set {RDFLIB_VAR} to a Python with rdflib to run it");
        return None;
    };
    let script = r#"
import json, sys, rdflib
g = rdflib.Graph()
g.parse(data=sys.stdin.read(), format="json-ld")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
print(json.dumps({
    "datasets": len(set(g.subjects(rdflib.RDF.type, DCAT.Dataset))),
    "services": len(set(g.subjects(rdflib.RDF.type, DCAT.DataService))),
    "downloads": len(set(g.objects(None, DCAT.downloadURL))),
    "media_types": len(list(g.objects(None, DCAT.mediaType))),
    "formats": len(list(g.objects(None, DCT["format"]))),
    "licences": len(set(g.objects(None, DCT.license))),
}))
"#;
    Some(run_python(RDFLIB_VAR, &python, script, &[], json_ld))
}

/// Validates a JSON-LD document against each of DCAT-AP's shapes files with pyshacl, when such
/// a Python is available: every result, by file. `None` when it is not (a failure with
/// `CI=true`, where `.ci/run` installs it).
fn shacl_results(json_ld: &str) -> Option<Value> {
    let Ok(python) = std::env::var(PYSHACL_VAR) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{PYSHACL_VAR} is not set: with CI=true the DCAT-AP validation must run"
        );
        eprintln!(
            "DCAT-AP validation skipped: set {PYSHACL_VAR} to a Python with pyshacl to run it"
        );
        return None;
    };
    let script = r##"
import json, sys
from pyshacl import validate
from rdflib import Graph, Namespace, RDF
SH = Namespace("http://www.w3.org/ns/shacl#")
data = Graph().parse(data=sys.stdin.read(), format="json-ld")
report = {}
for path in sys.argv[1:]:
    _, results, _ = validate(data, shacl_graph=Graph().parse(path, format="turtle"))
    report[path.rsplit("/", 1)[-1]] = [
        {
            "severity": str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            "focus": str(results.value(r, SH.focusNode)),
            "path": str(results.value(r, SH.resultPath)),
            "message": str(results.value(r, SH.resultMessage)),
        }
        for r in results.subjects(RDF.type, SH.ValidationResult)
    ]
print(json.dumps(report))
"##;
    let files: Vec<String> = MANDATORY
        .iter()
        .chain(&ADVISORY)
        .map(|file| format!("{SHAPES}/{file}"))
        .collect();
    Some(run_python(PYSHACL_VAR, &python, script, &files, json_ld))
}

/// The results of `file` in a report of [`shacl_results`].
fn results<'a>(report: &'a Value, file: &str) -> &'a [Value] {
    report[file]
        .as_array()
        .unwrap_or_else(|| panic!("no results for {file}: {report}"))
}

/// Whether a result is a warning the catalog cannot answer: the bounding box and the centroid
/// DCAT-AP recommends for a `dct:Location`. The catalog's location is France as the EU's
/// country table names it; a geometry of it is the table's to give, and any the catalog wrote
/// would be made up (metropolitan France leaves the overseas territories out, a box around all
/// of them spans most of the globe).
fn unanswerable(result: &Value) -> bool {
    result["severity"] == "Warning"
        && result["focus"] == "http://publications.europa.eu/resource/authority/country/FRA"
        && [
            "http://www.w3.org/ns/dcat#bbox",
            "http://www.w3.org/ns/dcat#centroid",
        ]
        .contains(&result["path"].as_str().unwrap_or_default())
}

/// The first and last day `fields` hold in the NDJSON at `uri`.
async fn span_of<S, B>(app: &S, uri: &str, fields: [&str; 2]) -> (NaiveDate, NaiveDate)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let (status, _, text) = get_text(app, uri).await;
    assert_eq!(status, 200, "{uri}");
    let days: Vec<NaiveDate> = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
        .flat_map(|row| {
            fields.map(|field| row[field].as_str().map(|day| day.parse().expect("a day")))
        })
        .flatten()
        .collect();
    let first = days.iter().min().expect("dated rows");
    (*first, *days.iter().max().expect("dated rows"))
}

/// A path of the API from an absolute URL the API gave.
fn local(url: &str) -> String {
    let rest = url.split_once("://").expect("absolute URL").1;
    rest[rest.find('/').expect("a path")..].to_owned()
}

both_backends! {
    fn the_catalog_conforms_to_dcat_ap(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let (status, _, text) = get_text(&app, "/api/v1/catalog").await;
        assert_eq!(status, 200);
        let Some(report) = shacl_results(&text) else { return };
        for file in MANDATORY {
            let left = results(&report, file);
            assert!(left.is_empty(), "{file}: {} results: {:#}", left.len(), Value::from(left.to_vec()));
        }
        for file in ADVISORY {
            let left: Vec<&Value> = results(&report, file).iter().filter(|r| !unanswerable(r)).collect();
            assert!(left.is_empty(), "{file}: {} results: {left:#?}", left.len());
        }

        // The same validation finds what the issue found: a format given as text, and a
        // dataset without a contact point.
        let mut broken: Value = serde_json::from_str(&text).expect("JSON-LD");
        broken["dcat:dataset"][0]["dcat:distribution"][0]["dct:format"] = json!("CSV");
        broken["dcat:dataset"][0].as_object_mut().expect("dataset").remove("dcat:contactPoint");
        let report = shacl_results(&broken.to_string()).expect("pyshacl");
        let paths = |file: &str| -> Vec<String> {
            results(&report, file).iter().filter(|r| !unanswerable(r)).map(|r| r["path"].as_str().expect("path").to_owned()).collect()
        };
        assert_eq!(paths("shapes.ttl"), ["http://purl.org/dc/terms/format"]);
        assert_eq!(paths("range.ttl"), ["http://purl.org/dc/terms/format"]);
        assert_eq!(paths("shapes_recommended.ttl"), ["http://www.w3.org/ns/dcat#contactPoint"]);
    }

    fn the_catalog_covers_the_dated_data(db) {
        // Nothing dated yet: no coverage to state.
        let empty = test::init_service(app(db.state())).await;
        let (status, _, text) = get_text(&empty, "/api/v1/catalog").await;
        assert_eq!(status, 200);
        let catalog: Value = serde_json::from_str(&text).expect("JSON-LD");
        assert!(catalog["dcat:dataset"][0].get("dct:temporal").is_none(), "{}", catalog["dcat:dataset"][0]);
        drop(empty);

        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let (_, _, text) = get_text(&app, "/api/v1/catalog").await;
        let catalog: Value = serde_json::from_str(&text).expect("JSON-LD");
        let phases = span_of(&app, "/api/v1/phase-history?format=ndjson", ["start", "end"]).await;
        let observations = span_of(&app, "/api/v1/observations?format=ndjson", ["start", "date"]).await;
        let (first, last) = (phases.0.min(observations.0), phases.1.max(observations.1));
        for dataset in catalog["dcat:dataset"].as_array().expect("datasets") {
            let period = &dataset["dct:temporal"];
            assert_eq!(period["@type"], "dct:PeriodOfTime", "{}", dataset["@id"]);
            assert_eq!(period["dcat:startDate"], json!({"@value": first.to_string(), "@type": "xsd:date"}));
            assert_eq!(period["dcat:endDate"], json!({"@value": last.to_string(), "@type": "xsd:date"}));
        }
        let issued = catalog["dct:issued"]["@value"].as_str().expect("issued");
        chrono::DateTime::parse_from_rfc3339(issued).expect("a time");
    }

    fn the_catalog_points_at_downloads_that_answer(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let (status, content_type, text) = get_text(&app, "/api/v1/catalog").await;
        assert_eq!((status, content_type.as_str()), (200, "application/ld+json"));
        let catalog: Value = serde_json::from_str(&text).expect("JSON-LD");
        if let Some(counts) = rdf_counts(&text) {
            // 7 datasets, a CSV and an NDJSON download each; a format for each of their three
            // distributions, an IANA media type for all but the NDJSON one; one licence.
            assert_eq!(counts, json!({"datasets": 7, "services": 1, "downloads": 14, "media_types": 14, "formats": 21, "licences": 1}));
        }
        assert_eq!(catalog["@type"], "dcat:Catalog");
        assert_eq!(catalog["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
        assert_eq!(catalog["dct:license"]["@id"], "https://www.etalab.gouv.fr/licence-ouverte-open-licence/");
        let revision = {
            let mut conn = db.pool.get().expect("connection");
            betadata::db::revision::Revision::current(&mut conn).expect("revision")
        };
        let modified = revision.changed_at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        assert_eq!(catalog["dct:modified"]["@value"], modified.as_str());
        assert_eq!(catalog["dcat:service"]["dct:identifier"], "api");
        let datasets = catalog["dcat:dataset"].as_array().expect("datasets");
        assert_eq!(datasets.len(), 7);
        for dataset in datasets {
            assert_eq!(dataset["@type"], "dcat:Dataset");
            assert_eq!(dataset["dct:publisher"]["foaf:name"], "beta.gouv.fr");
            assert_eq!(dataset["dcat:contactPoint"]["vcard:hasEmail"]["@id"], "mailto:contact@beta.gouv.fr");
            for distribution in dataset["dcat:distribution"].as_array().expect("distributions") {
                assert!(distribution["dct:format"]["@id"].is_string());
                let url = distribution["dcat:downloadURL"]["@id"].as_str().or(distribution["dcat:accessURL"]["@id"].as_str()).expect("a URL");
                let (status, _, _) = get_text(&app, &local(url)).await;
                assert_eq!(status, 200, "{url}");
                if let Some(schema) = distribution["dct:conformsTo"]["@id"].as_str() {
                    let (status, _, _) = get_text(&app, &local(schema)).await;
                    assert_eq!(status, 200, "{schema}");
                }
            }
            let csv = &dataset["dcat:distribution"][0];
            assert!(csv["dcat:downloadURL"]["@id"].as_str().expect("download").ends_with("format=csv"));
            assert!(csv["dct:conformsTo"]["@id"].as_str().expect("schema").ends_with("/schema.json"));
        }
    }
}
