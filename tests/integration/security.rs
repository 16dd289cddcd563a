//! Hostile input, on both backends: SQL injections and path tricks in every string parameter
//! of every operation of the contract, and in every string field of the write bodies.
//!
//! The operations, their parameters and their body schemas are read from the generated
//! contract, so a new parameter or field is probed without a change here. Every answer must be
//! below 500, a problem document when it is a 4xx, and free of SQL and internals; a hostile
//! filter finds nothing more than its plain words would; and the data is the same afterwards
//! (the written probes aside, each of which must read back as it was sent: data, not code).

use crate::common;

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, Uri, header};
use actix_web::test;
use betadata::api::app;
use common::both_backends;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

/// What a probe puts in a parameter.
#[derive(Debug, Clone)]
enum Payload {
    /// Text a client percent-encodes, as it should.
    Text(String),
    /// Characters put in the request target as they are: encodings that play tricks.
    Raw(&'static str),
}

/// The text payloads: sent percent-encoded in parameters, and as JSON strings in bodies.
fn text_payloads() -> Vec<String> {
    let mut texts: Vec<String> = [
        // SQL injection
        "' OR '1'='1",
        "' OR 1=1 --",
        "1; DROP TABLE startups; --",
        "\" OR \"\"=\"",
        "%' --",
        "') OR ('1'='1",
        "' UNION SELECT id, name, NULL FROM startups --",
        "medle' AND '1'='1",
        "1' AND (SELECT count(*) FROM tokens) > 0 --",
        "'; UPDATE startups SET name = 'x'; --",
        "%",
        "_",
        "*",
        "\\",
        // paths
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "/etc/passwd",
        "....//....//etc/passwd",
        // markup and other query languages
        "<script>alert(1)</script>",
        "{\"$gt\": \"\"}",
        // control characters, a header split
        "\u{1}\u{2}\u{7}\u{1b}[31m\u{7f}",
        "line\r\nSet-Cookie: session=1",
        "\t\u{b}\u{c} ",
        // look-alikes: full-width, Cyrillic, zero-width, combining, right-to-left, quotes
        "ｍｅｄｌｅ",
        "m\u{435}dle",
        "medle\u{200b}",
        "Medle\u{301}",
        "\u{202e}eldem",
        "＇ OR ＇1＇=＇1",
        "ʼ OR ʼ1ʼ=ʼ1",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    // Long: past every length rule, and past the limit of a request target.
    texts.push("a".repeat(2_000));
    texts.push("é".repeat(5_000));
    texts
}

/// The encodings sent in the request target as they are.
const RAW_PAYLOADS: &[&str] = &[
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2f",
    "..%252f..%252f",
    "..%5c..%5cwindows",
    "%c0%af%c0%ae",
    "%ff%fe",
    "%C3%28",
    "%ED%A0%80",
    "%",
    "%zz",
    "%u0027%20OR%201=1",
    "%27%20OR%20%271%27%3D%271",
    "%2527%20OR%201=1",
    ";",
    "..",
    ".",
];

fn payloads() -> Vec<Payload> {
    text_payloads()
        .into_iter()
        .map(Payload::Text)
        .chain(RAW_PAYLOADS.iter().map(|raw| Payload::Raw(raw)))
        .collect()
}

impl Payload {
    /// As it goes in a path segment or a query value.
    fn in_target(&self) -> String {
        match self {
            Self::Text(text) => utf8_percent_encode(text, NON_ALPHANUMERIC).to_string(),
            Self::Raw(raw) => (*raw).to_owned(),
        }
    }

    /// The forms the server may echo back: as sent, decoded, and escaped in JSON.
    fn echoes(&self) -> Vec<String> {
        let text = match self {
            Self::Text(text) => text.clone(),
            Self::Raw(raw) => percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned(),
        };
        let raw = self.in_target();
        // In a link the API writes back, as a form-encoded query value.
        let form = form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let json = |text: &str| {
            let json = serde_json::to_string(text).expect("a JSON string");
            json[1..json.len() - 1].to_owned()
        };
        let mut echoes = vec![text.clone(), raw, form, json(&text)];
        // Lists are comma-separated, and a bad item is quoted alone.
        for item in text.split(',') {
            echoes.extend([
                item.to_owned(),
                item.trim().to_owned(),
                json(item),
                json(item.trim()),
            ]);
        }
        echoes
    }

    /// The text a query parameter decodes to.
    fn decoded(&self) -> String {
        self.echoes().swap_remove(0)
    }
}

/// What no answer may show: SQL, the database's name, the code's files, a panic.
const LEAKS: &[&str] = &[
    "SELECT",
    "sqlite",
    "postgres",
    "diesel",
    "syntax error",
    "panicked",
    "backtrace",
    "src/",
    ".rs:",
    "constraint",
    "DatabaseError",
];

/// The markers of [`LEAKS`] that `body` shows once every echo of the payload is taken out.
fn leaks(body: &str, echoes: &[String]) -> Vec<&'static str> {
    let mut body = body.to_owned();
    // Longest first, so that a shorter form inside a longer one does not break it.
    let mut echoes: Vec<&String> = echoes.iter().filter(|e| !e.is_empty()).collect();
    echoes.sort_by_key(|e| std::cmp::Reverse(e.len()));
    for echo in echoes {
        body = body.replace(echo.as_str(), "");
    }
    let lower = body.to_lowercase();
    LEAKS
        .iter()
        .copied()
        .filter(|marker| {
            if *marker == "SELECT" {
                body.contains(marker)
            } else {
                lower.contains(&marker.to_lowercase())
            }
        })
        .collect()
}

/// An operation of the contract, as the probes need it.
#[derive(Debug)]
struct Operation {
    method: Method,
    path: String,
    /// (name, where) of each string-typed parameter: path, query or header.
    strings: Vec<(String, String)>,
    /// The schema of its JSON body, and the content type to send it with.
    body: Option<(Value, &'static str)>,
    secured: bool,
}

fn is_string(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(kind) => kind == "string",
        Value::Array(kinds) => kinds.iter().any(|k| k == "string"),
        _ => false,
    }
}

/// Every operation of the contract, with the body schema of a merge patch taken from the
/// `PUT` of its path or the `POST` of its collection (the contract types it as an object).
fn operations(spec: &Value) -> Vec<Operation> {
    let paths = spec["paths"].as_object().expect("paths");
    let body_schema = |path: &str, method: &str| -> Option<Value> {
        paths.get(path)?.get(method)?["requestBody"]["content"]
            .as_object()?
            .values()
            .next()
            .map(|content| content["schema"].clone())
    };
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let strings = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| is_string(&p["schema"]))
                .map(|p| {
                    let name = p["name"].as_str().expect("a name").to_owned();
                    (name, p["in"].as_str().expect("a location").to_owned())
                })
                .collect();
            let body = if method == Method::PATCH {
                let collection = &path[..path.rfind('/').expect("a parent")];
                body_schema(path, "put")
                    .or_else(|| body_schema(collection, "post"))
                    .map(|schema| (schema, "application/merge-patch+json"))
            } else {
                body_schema(path, method.as_str().to_lowercase().as_str())
                    .map(|schema| (schema, "application/json"))
            };
            operations.push(Operation {
                method,
                path: path.clone(),
                strings,
                body,
                secured: operation.get("security").is_some(),
            });
        }
    }
    operations
}

/// `schema` with every `$ref` to a component replaced by the component.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().expect("a component name");
            resolve(spec, &spec["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A value `schema` accepts: its required properties, from their examples or their type.
/// Ids are left for the caller to fill.
fn sample(spec: &Value, schema: &Value) -> Value {
    let schema = resolve(spec, schema);
    if let Some(variants) = schema["oneOf"].as_array() {
        return sample(spec, &variants[0]);
    }
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if kinds.contains(&"object") || schema.get("properties").is_some() {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut object = serde_json::Map::new();
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            if required.contains(&name.as_str()) {
                object.insert(name.clone(), sample(spec, property));
            }
        }
        return Value::Object(object);
    }
    if kinds.contains(&"array") {
        return json!([sample(spec, &schema["items"])]);
    }
    if kinds.contains(&"string") {
        return match schema["format"].as_str() {
            Some("date") => json!("2021-03-01"),
            _ => json!("probe"),
        };
    }
    if kinds.contains(&"integer") || kinds.contains(&"number") {
        return json!(1);
    }
    Value::Null
}

/// A place for a string in a body: a JSON Pointer, and whether it is an item of a list of
/// strings (which gets a one-item list).
#[derive(Debug, Clone)]
struct Slot {
    pointer: String,
    list: bool,
}

/// Every string field of `schema`, and of the objects in its lists, one level down.
fn slots(spec: &Value, schema: &Value, at: &str, depth: usize) -> Vec<Slot> {
    let schema = resolve(spec, schema);
    if let Some(variants) = schema["oneOf"].as_array() {
        // A batch: the fields of one item.
        let batch = variants
            .iter()
            .find(|v| v["type"] == "array")
            .unwrap_or(&variants[0]);
        return slots(spec, batch, at, depth);
    }
    if schema["type"] == "array" {
        return slots(spec, &schema["items"], &format!("{at}/0"), depth);
    }
    let mut found = Vec::new();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let pointer = format!("{at}/{name}");
        let property = resolve(spec, property);
        if is_string(property) {
            found.push(Slot {
                pointer,
                list: false,
            });
        } else if property["type"] == "array" {
            let items = resolve(spec, &property["items"]);
            if is_string(items) {
                found.push(Slot {
                    pointer,
                    list: true,
                });
            } else if depth == 0 {
                found.extend(slots(spec, items, &format!("{pointer}/0"), depth + 1));
            }
        }
    }
    found
}

/// `base` with `value` put at `pointer`, making the objects and one-item lists on the way.
fn put_at(base: &Value, pointer: &str, value: Value, spec: &Value, schema: &Value) -> Value {
    let mut document = base.clone();
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    let mut place = &mut document;
    let mut schema = resolve(spec, schema).clone();
    for (i, token) in tokens.iter().enumerate() {
        let last = i + 1 == tokens.len();
        if let Ok(index) = token.parse::<usize>() {
            if let Some(variants) = schema["oneOf"].as_array() {
                schema = variants
                    .iter()
                    .find(|v| v["type"] == "array")
                    .cloned()
                    .unwrap_or_else(|| variants[0].clone());
            }
            let items = resolve(spec, &schema["items"]).clone();
            if !place.is_array() {
                *place = json!([]);
            }
            let list = place.as_array_mut().expect("a list");
            while list.len() <= index {
                list.push(sample(spec, &items));
            }
            place = &mut list[index];
            schema = items;
        } else {
            let property = resolve(spec, &schema["properties"][*token]).clone();
            let object = place.as_object_mut().expect("an object");
            if last {
                object.insert((*token).to_owned(), value);
                return document;
            }
            place = object.entry((*token).to_owned()).or_insert_with(|| {
                if property["type"] == "array" {
                    json!([])
                } else {
                    json!({})
                }
            });
            schema = property;
        }
    }
    document
}

/// One answer, read whole.
struct Answer {
    status: u16,
    content_type: String,
    location: Option<String>,
    body: String,
}

async fn send<S, B>(
    app: &S,
    method: &Method,
    target: &str,
    headers: &[(String, String)],
    body: Option<(&Value, &str)>,
) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut request = test::TestRequest::default()
        .method(method.clone())
        .uri(target);
    for (name, value) in headers {
        request = request.insert_header((name.as_str(), value.as_str()));
    }
    if let Some((body, content_type)) = body {
        request = request
            .insert_header((header::CONTENT_TYPE, content_type))
            .set_payload(body.to_string());
    }
    let response = test::call_service(app, request.to_request()).await;
    let status = response.status().as_u16();
    let text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = text(header::CONTENT_TYPE).unwrap_or_default();
    let location = text(header::LOCATION);
    let body = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
    Answer {
        status,
        content_type,
        location,
        body,
    }
}

/// The faults of `answer` to a probe, described for the failure message.
fn faults(answer: &Answer, echoes: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    if answer.status >= 500 {
        found.push(format!("status {}", answer.status));
    }
    if (400..500).contains(&answer.status) && answer.content_type != "application/problem+json" {
        found.push(format!(
            "a {} answered as `{}`",
            answer.status, answer.content_type
        ));
    }
    let leaked = leaks(&answer.body, echoes);
    if !leaked.is_empty() {
        found.push(format!("shows {leaked:?}"));
    }
    found
}

/// The ids the probes fill the other path parameters with, and what must not change.
struct Fixture {
    /// A startup no probe names: its document must stay byte for byte the same.
    canary: String,
    /// By collection, the id of an item that probes may name (and writes may change).
    ids: BTreeMap<String, String>,
    /// The start of a phase of the startup probes name.
    phase_start: String,
    admin: String,
}

impl Fixture {
    async fn new<S, B>(app: &S, admin: String) -> Self
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let mut ids = BTreeMap::new();
        for collection in [
            "incubators",
            "organisations",
            "phases",
            "metrics",
            "datasets",
        ] {
            let reply = common::get(app, &format!("/api/v1/{collection}")).await;
            let id = reply.body["data"][0]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("an item in {collection}: {}", reply.body));
            ids.insert(collection.to_owned(), id.to_owned());
        }
        // The startup probes name has phases (writes to one of them are probed); the canary
        // is the first other one.
        let reply = common::get(app, "/api/v1/startups?page_size=100").await;
        let startups: Vec<String> = reply.body["data"]
            .as_array()
            .expect("startups")
            .iter()
            .map(|s| s["id"].as_str().expect("an id").to_owned())
            .collect();
        let mut victim = None;
        for id in &startups {
            let phases = common::get(app, &format!("/api/v1/startups/{id}/phases")).await;
            if let Some(start) = phases.body["data"][0]["start"].as_str() {
                victim = Some((id.clone(), start.to_owned()));
                break;
            }
        }
        let (victim, phase_start) = victim.expect("a startup with phases");
        // Nothing the probes write shows in the canary: not its incubator, nor its sponsors.
        let mut canary = None;
        for id in startups.iter().filter(|id| **id != victim) {
            let document = common::get(app, &format!("/api/v1/startups/{id}"))
                .await
                .body;
            let sponsors: Vec<&Value> = document["sponsors"]
                .as_array()
                .into_iter()
                .flatten()
                .collect();
            if document["incubator"]["id"] != ids["incubators"]
                && sponsors.iter().all(|s| s["id"] != ids["organisations"])
            {
                canary = Some(id.clone());
                break;
            }
        }
        let canary = canary.expect("a startup apart from what the probes write");
        ids.insert("startups".to_owned(), victim);
        Self {
            canary,
            ids,
            phase_start,
            admin,
        }
    }

    /// A valid value for path parameter `name` in `path`: the item of the collection named
    /// before it.
    fn path_value(&self, path: &str, name: &str) -> String {
        if name == "start" {
            return self.phase_start.clone();
        }
        let placeholder = format!("{{{name}}}");
        let before = path
            .split(&placeholder)
            .next()
            .and_then(|head| head.trim_end_matches('/').rsplit('/').next())
            .expect("a collection before the parameter");
        self.ids
            .get(before)
            .unwrap_or_else(|| panic!("no id known for `{before}` in {path}"))
            .clone()
    }

    /// `path` with each parameter filled: `probe` for `name`, valid values for the others.
    fn target(&self, path: &str, probe: Option<(&str, &str)>) -> String {
        let mut target = path.to_owned();
        while let Some(open) = target.find('{') {
            let close = open + target[open..].find('}').expect("a closing brace");
            let name = target[open + 1..close].to_owned();
            let value = match probe {
                Some((probed, value)) if probed == name => value.to_owned(),
                _ => self.path_value(path, &name),
            };
            target.replace_range(open..=close, &value);
        }
        target
    }
}

/// What must not change: the total of every collection of the contract, and the canary.
async fn snapshot<S, B>(app: &S, spec: &[Operation], canary: &str) -> BTreeMap<String, String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut state = BTreeMap::new();
    for operation in spec {
        if operation.method != Method::GET || operation.path.contains('{') {
            continue;
        }
        let reply = common::get(app, &operation.path).await;
        if let Some(total) = reply.body["meta"]["total"].as_u64() {
            state.insert(operation.path.clone(), total.to_string());
        }
    }
    for path in ["", "/phases", "/metrics"] {
        let uri = format!("/api/v1/startups/{canary}{path}");
        let (status, _, body) = common::get_text(app, &uri).await;
        assert_eq!(status, 200, "{uri}");
        state.insert(uri, body);
    }
    state
}

/// A probe's request: where, with what headers and body.
struct Probe {
    what: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
}

fn spec() -> Value {
    serde_json::to_value(betadata::api::openapi()).expect("the contract as JSON")
}

both_backends! {
    fn every_string_parameter_resists_injection_and_path_tricks(db) {
        let db = db.seeded();
        let admin = common::issue_token(&db, "security-probe", "admin");
        let state = db.state().with_write_rate(NonZeroU32::MAX);
        let app = test::init_service(app(state)).await;
        let spec = spec();
        let operations = operations(&spec);
        let fixture = Fixture::new(&app, admin).await;
        let before = snapshot(&app, &operations, &fixture.canary).await;
        assert!(before.len() > 5, "collections found in the contract: {before:?}");

        let mut problems = Vec::new();
        let (mut sent, mut unsendable) = (0, 0);
        for operation in &operations {
            for (name, location) in &operation.strings {
                for payload in payloads() {
                    let value = payload.in_target();
                    let mut probe = Probe {
                        what: format!("{} {} {location} {name}={value:.60}", operation.method, operation.path),
                        target: fixture.target(&operation.path, None),
                        headers: Vec::new(),
                        body: operation.body.as_ref().map(|(schema, _)| sample(&spec, schema)),
                    };
                    match location.as_str() {
                        "path" => probe.target = fixture.target(&operation.path, Some((name, &value))),
                        "query" => probe.target = format!("{}?{name}={value}", probe.target),
                        // Headers go with valid bodies, which write: see the next test.
                        "header" => continue,
                        other => panic!("a parameter in {other}"),
                    }
                    if Uri::try_from(probe.target.as_str()).is_err() {
                        unsendable += 1;
                        continue;
                    }
                    if operation.secured {
                        probe.headers.extend(auth(&fixture));
                    }
                    let content_type = operation.body.as_ref().map(|(_, c)| *c);
                    let answer = send(
                        &app,
                        &operation.method,
                        &probe.target,
                        &probe.headers,
                        probe.body.as_ref().zip(content_type),
                    )
                    .await;
                    sent += 1;
                    let echoes = payload.echoes();
                    let mut found = faults(&answer, &echoes);
                    // A hostile filter finds nothing, or (a search) what its words find.
                    if answer.status == 200
                        && let Ok(document) = serde_json::from_str::<Value>(&answer.body)
                        && let Some(total) = document["meta"]["total"].as_u64()
                    {
                        let expected = if name == "q" {
                            let words: Vec<String> = betadata::domain::search::search_words(&payload.decoded())
                                .expect("a search that answered 200 has words")
                                .into_iter()
                                .map(|w| w.text)
                                .collect();
                            let words = words.join(" ");
                            let plain = format!(
                                "{}?q={}",
                                fixture.target(&operation.path, None),
                                utf8_percent_encode(&words, NON_ALPHANUMERIC)
                            );
                            common::get(&app, &plain).await.body["meta"]["total"].as_u64()
                        } else {
                            Some(0)
                        };
                        if Some(total) != expected {
                            found.push(format!("found {total} item(s), expected {expected:?}"));
                        }
                    }
                    if !found.is_empty() {
                        problems.push(format!("{} → {}: {} [{:.200}]", probe.what, answer.status, found.join("; "), answer.body));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{} of {sent} probes failed:\n{}", problems.len(), problems.join("\n"));
        assert!(sent > 2_000, "{sent} probes sent, {unsendable} could not be");
        eprintln!("{sent} probes sent; {unsendable} are no valid request target and were not");

        let after = snapshot(&app, &operations, &fixture.canary).await;
        for (key, value) in &before {
            assert_same(key, value, &after[key]);
        }
    }

    fn every_string_field_of_a_write_is_stored_as_data(db) {
        let db = db.seeded();
        let admin = common::issue_token(&db, "security-probe", "admin");
        let state = db.state().with_write_rate(NonZeroU32::MAX);
        let app = test::init_service(app(state)).await;
        let spec = spec();
        let operations = operations(&spec);
        let fixture = Fixture::new(&app, admin).await;
        let before = snapshot(&app, &operations, &fixture.canary).await;

        let mut problems = Vec::new();
        let mut created: BTreeMap<String, u64> = BTreeMap::new();
        let (mut sent, mut stored) = (0, 0);
        let mut fresh = 0;
        // Deeper paths first: replacing a startup whole drops the phase that the writes to
        // `/startups/{id}/phases/{start}` name.
        let mut writes: Vec<&Operation> = operations.iter().filter(|o| o.body.is_some()).collect();
        writes.sort_by_key(|o| std::cmp::Reverse(o.path.matches('/').count()));
        let mut header_probes = 0;
        let stored_texts: Vec<String> = body_payloads()
            .into_iter()
            .flat_map(|text| Payload::Text(text).echoes())
            .collect();
        for operation in writes {
            let Some((schema, content_type)) = &operation.body else { continue };
            let target = fixture.target(&operation.path, None);
            let creates = operation.method == Method::POST && !operation.path.contains('{');
            let base = sample(&spec, schema);
            // The body with only its required fields is accepted, so that each probe below
            // differs from a write that reaches the database by its one field.
            if creates {
                fresh += 1;
                let body = with_id(&base, fresh);
                let answer = send(&app, &operation.method, &target, &auth(&fixture), Some((&body, content_type))).await;
                assert_eq!(answer.status, 201, "{} {target} {body}: {}", operation.method, answer.body);
                *created.entry(target.clone()).or_default() += 1;
            }
            // The string headers of the operation, with a body that would be written.
            for (name, location) in &operation.strings {
                if location != "header" {
                    continue;
                }
                for text in body_payloads() {
                    // `If-Match: *` is a valid precondition (any version), not a hostile one.
                    if text.trim() == "*" && name.eq_ignore_ascii_case("if-match") {
                        continue;
                    }
                    // A header value is visible ASCII: what cannot be one cannot be sent.
                    if header::HeaderValue::from_str(&text).is_err() {
                        continue;
                    }
                    let mut headers = auth(&fixture);
                    headers.push((name.clone(), text.clone()));
                    let body = if creates {
                        fresh += 1;
                        with_id(&base, fresh)
                    } else {
                        base.clone()
                    };
                    let answer = send(&app, &operation.method, &target, &headers, Some((&body, content_type))).await;
                    header_probes += 1;
                    if creates && answer.status == 201 {
                        *created.entry(target.clone()).or_default() += 1;
                    }
                    let found = faults(&answer, &Payload::Text(text.clone()).echoes());
                    if !found.is_empty() {
                        problems.push(format!(
                            "{} {target} {name}: {text:.60?} → {}: {} [{:.200}]",
                            operation.method, answer.status, found.join("; "), answer.body
                        ));
                    }
                }
            }
            for slot in slots(&spec, schema, "", 0) {
                for text in body_payloads() {
                    let value = if slot.list { json!([text]) } else { json!(text) };
                    let mut body = put_at(&base, &slot.pointer, value, &spec, schema);
                    if creates && slot.pointer != "/id" {
                        fresh += 1;
                        body = with_id(&body, fresh);
                    }
                    let answer = send(&app, &operation.method, &target, &auth(&fixture), Some((&body, content_type))).await;
                    sent += 1;
                    // Ids may hold any of these texts: one stored by an earlier probe is data
                    // in this answer, not a leak.
                    let mut echoes = stored_texts.clone();
                    echoes.extend(Payload::Text(text.clone()).echoes());
                    let mut found = faults(&answer, &echoes);
                    if (200..300).contains(&answer.status) {
                        stored += 1;
                        if creates {
                            *created.entry(target.clone()).or_default() += 1;
                        }
                        // Read back where it was written: the text, exactly.
                        let place = answer.location.clone().unwrap_or_else(|| target.clone());
                        let (status, _, document) = common::get_text(&app, &place).await;
                        let document: Value = serde_json::from_str(&document).unwrap_or(Value::Null);
                        if status != 200 || !holds(&document, &text) {
                            found.push(format!("{place} ({status}) does not hold the text as sent: {document:.300}"));
                        }
                    }
                    if !found.is_empty() {
                        problems.push(format!(
                            "{} {target} {}={text:.60?} → {}: {} [{:.200}]",
                            operation.method, slot.pointer, answer.status, found.join("; "), answer.body
                        ));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{} of {sent} probes failed:\n{}", problems.len(), problems.join("\n"));
        assert!(stored > 50, "only {stored} of {sent} probes were stored: the bodies are refused before the database");
        assert!(header_probes > 20, "{header_probes} header probes");
        eprintln!("{sent} write probes sent, {stored} stored and read back as sent; {header_probes} header probes");

        let after = snapshot(&app, &operations, &fixture.canary).await;
        for (key, value) in &before {
            let expected = match created.get(key) {
                Some(n) => (value.parse::<u64>().expect("a total") + n).to_string(),
                None if key.starts_with("/api/v1/startups/") => value.clone(),
                // Phases, metrics, observations and changes are written by the probes that
                // name the startup they write to (a replacement drops phases): no count is
                // kept for them.
                None => continue,
            };
            assert_same(key, &expected, &after[key]);
        }
    }
}

/// Asserts that `after` is `before`, showing where they part.
fn assert_same(what: &str, before: &str, after: &str) {
    if before == after {
        return;
    }
    let at = before
        .char_indices()
        .zip(after.chars())
        .find(|((_, a), b)| a != b)
        .map_or(before.len().min(after.len()), |((i, _), _)| i);
    let context = |text: &str| {
        let chars: Vec<char> = text.chars().collect();
        let at = text[..at.min(text.len())].chars().count();
        chars[at.saturating_sub(80)..(at + 120).min(chars.len())]
            .iter()
            .collect::<String>()
    };
    panic!(
        "{what} changed at byte {at}:\n  before: …{}…\n  after:  …{}…",
        context(before),
        context(after)
    );
}

/// The text payloads written into bodies: one of each kind, so that the writes (each a
/// transaction and an entry of the change log) keep the test quick.
fn body_payloads() -> Vec<String> {
    const KINDS: &[&str] = &[
        "' OR '1'='1",
        "1; DROP TABLE startups; --",
        "\" OR \"\"=\"",
        "' UNION SELECT id, name, NULL FROM startups --",
        "'; UPDATE startups SET name = 'x'; --",
        "%",
        "\\",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "line\r\nSet-Cookie: session=1",
        "\u{1}\u{2}\u{7}\u{1b}[31m\u{7f}",
        "ʼ OR ʼ1ʼ=ʼ1",
        "Medle\u{301}",
        "\u{202e}eldem",
    ];
    let texts = text_payloads();
    let mut chosen: Vec<String> = KINDS
        .iter()
        .map(|kind| {
            assert!(
                texts.iter().any(|t| t == kind),
                "{kind:?} is a payload of the parameters"
            );
            (*kind).to_owned()
        })
        .collect();
    chosen.push("a".repeat(2_000));
    chosen
}

fn auth(fixture: &Fixture) -> Vec<(String, String)> {
    vec![(
        "authorization".to_owned(),
        format!("Bearer {}", fixture.admin),
    )]
}

/// `body` with a fresh id, when its schema has one.
fn with_id(body: &Value, n: u32) -> Value {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        object.insert("id".to_owned(), json!(format!("security-probe-{n}")));
    }
    body
}

/// Whether `document` holds `text` as a string, or as the one item of a list.
fn holds(document: &Value, text: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    match document {
        // Ids are stored in NFC.
        Value::String(s) => s == text || s.nfc().eq(text.nfc()),
        Value::Array(items) => items.iter().any(|item| holds(item, text)),
        Value::Object(fields) => fields.values().any(|v| holds(v, text)),
        _ => false,
    }
}

both_backends! {
    fn routes_outside_the_contract_resist_path_tricks(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        // Swagger UI serves files by name, the compatibility files too: no name climbs out.
        let mut problems = Vec::new();
        for base in ["/docs/", "/compat/v2.7/", "/", "/api/v1/"] {
            for payload in payloads() {
                let target = format!("{base}{}", payload.in_target());
                if Uri::try_from(target.as_str()).is_err() {
                    continue;
                }
                let answer = send(&app, &Method::GET, &target, &[], None).await;
                let mut found = faults(&answer, &payload.echoes());
                for secret in ["root:x:0:0", "[package]", "[for", "DATABASE_URL"] {
                    if answer.body.contains(secret) {
                        found.push(format!("serves a file holding `{secret}`"));
                    }
                }
                if !found.is_empty() {
                    problems.push(format!("{target:.80} → {}: {} [{:.120}]", answer.status, found.join("; "), answer.body));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
