//! Test support: a fresh, migrated and seeded database per test, on SQLite or PostgreSQL, and
//! small helpers to call the real application in-process.
#![allow(dead_code, unused_macros)] // each test binary uses a different part of this module

pub mod process;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header::HeaderMap};
use actix_web::test;
use betadata::api::AppState;
use betadata::db::{self, DatabaseUrl, DbPool};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;

/// The environment variable naming the PostgreSQL database the tests may use.
pub const PG_URL_VAR: &str = "BETADATA_TEST_DATABASE_URL";

/// A database for one test; dropped with it.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub pool: DbPool,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { base_url: String, schema: String },
}

static NEXT: AtomicU32 = AtomicU32::new(0);
static EXTENSIONS: std::sync::Once = std::sync::Once::new();

impl TestDb {
    /// An empty, migrated SQLite database in a temporary folder.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("betadata.db");
        let url = DatabaseUrl::parse(path.to_str().expect("utf-8 path"));
        Self::open(url, Cleanup::Sqlite(dir))
    }

    /// An empty, migrated PostgreSQL schema of its own in the test database.
    pub fn postgres() -> Self {
        let base_url = std::env::var(PG_URL_VAR)
            .unwrap_or_else(|_| panic!("{PG_URL_VAR} must name a PostgreSQL test database"));
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default()
        );
        let mut admin = PgConnection::establish(&base_url)
            .unwrap_or_else(|e| panic!("PostgreSQL at {PG_URL_VAR} is unreachable: {e}"));
        // The migrations create the extension if it is missing; doing it once here first keeps
        // tests that migrate concurrently from racing to create it.
        EXTENSIONS.call_once(|| {
            admin
                .batch_execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
                .expect("create the unaccent extension");
        });
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create schema");
        let separator = if base_url.contains('?') { '&' } else { '?' };
        let url = DatabaseUrl::parse(&format!(
            "{base_url}{separator}options=-csearch_path%3D{schema}"
        ));
        Self::open(url, Cleanup::Postgres { base_url, schema })
    }

    fn open(url: DatabaseUrl, cleanup: Cleanup) -> Self {
        let pool = db::connect(&url, 4).expect("test database pool");
        db::migrate(&mut pool.get().expect("connection")).expect("migrations");
        Self { url, pool, cleanup }
    }

    /// Loads the embedded seeds, as a first start does.
    /// Another empty database on the same backend.
    pub fn fresh(&self) -> Self {
        match self.cleanup {
            Cleanup::Sqlite(_) => Self::sqlite(),
            Cleanup::Postgres { .. } => Self::postgres(),
        }
    }

    pub fn seeded(self) -> Self {
        let mut conn = self.pool.get().expect("connection");
        betadata::seed::load::seed_if_empty(&mut conn)
            .expect("seeding")
            .expect("an empty database is seeded");
        drop(conn);
        self
    }

    pub fn state(&self) -> AppState {
        AppState::new(self.pool.clone())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { base_url, schema } = &self.cleanup
            && let Ok(mut admin) = PgConnection::establish(base_url)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Runs each test body once on SQLite and once on PostgreSQL, as `<name>::sqlite` and
/// `<name>::postgres`; the PostgreSQL half is ignored, saying why, without a test database.
macro_rules! both_backends {
    ($(fn $name:ident($db:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[actix_rt::test]
                async fn sqlite() {
                    let $db = crate::common::TestDb::sqlite();
                    $body
                }

                #[actix_rt::test]
                #[cfg_attr(
                    not(betadata_pg_tests),
                    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
                )]
                async fn postgres() {
                    let $db = crate::common::TestDb::postgres();
                    $body
                }
            }
        )*
    };
}
#[allow(unused_imports)] // not every test file runs on both backends
pub(crate) use both_backends;

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `errors[].parameter` of a problem document.
    pub fn bad_parameters(&self) -> Vec<String> {
        self.errors_at("parameter")
    }

    /// The `errors[].pointer` of a problem document: where in the body each fault is.
    pub fn pointers(&self) -> Vec<String> {
        self.errors_at("pointer")
    }

    fn errors_at(&self, key: &str) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e[key].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `ETag` header.
    pub fn etag(&self) -> String {
        self.headers
            .get(actix_web::http::header::ETAG)
            .expect("an ETag")
            .to_str()
            .expect("ASCII")
            .to_owned()
    }
}

/// Sends `method uri` to the application and reads the JSON body (Null when empty or not JSON).
pub async fn call<S, B>(app: &S, method: Method, uri: &str) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let request = test::TestRequest::default()
        .method(method)
        .uri(uri)
        .to_request();
    let response = test::call_service(app, request).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get<S, B>(app: &S, uri: &str) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    call(app, Method::GET, uri).await
}

/// Issues a token of `scope` (`admin`, `incubator:ID`) named `name`, as `betadata token create`
/// does, and returns it.
pub fn issue_token(db: &TestDb, name: &str, scope: &str) -> String {
    let request = betadata::db::tokens::TokenRequest {
        name: name.into(),
        scope: scope.parse().expect("a scope"),
        expires_on: None,
    };
    let mut conn = db.pool.get().expect("connection");
    betadata::db::tokens::issue(&mut conn, &request, chrono::Utc::now().naive_utc())
        .expect("issue a token")
}

/// Sends a write: `method` on `uri` with a bearer `token`, a JSON `body` and extra `headers`.
pub async fn send<S, B>(
    app: &S,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut request = test::TestRequest::default().method(method).uri(uri);
    if let Some(token) = token {
        request = request.insert_header(("authorization", format!("Bearer {token}")));
    }
    if let Some(body) = body {
        request = request
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_string());
    }
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let response = test::call_service(app, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// Sends `request` and returns the status, the content type and the body as text.
pub async fn body_of<S, B>(app: &S, request: actix_http::Request) -> (u16, String, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, request).await;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .map(|v| v.to_str().expect("ASCII content type").to_owned())
        .unwrap_or_default();
    let body = String::from_utf8(test::read_body(response).await.to_vec()).expect("UTF-8");
    (status, content_type, body)
}

/// GETs `uri` and returns the status, the content type and the body as text.
pub async fn get_text<S, B>(app: &S, uri: &str) -> (u16, String, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    body_of(app, test::TestRequest::get().uri(uri).to_request()).await
}

/// The header and the records of a CSV document.
pub fn csv_records(csv_text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    csv_records_with(csv_text, b',')
}

/// The header and the records of a CSV document whose fields are separated by `delimiter`.
pub fn csv_records_with(csv_text: &str, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(csv_text.as_bytes());
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// Asserts a problem+json answer with `status`.
pub fn assert_problem(reply: &Reply, status: u16) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
    assert_eq!(reply.content_type(), "application/problem+json");
    assert_eq!(reply.body["status"], status);
    assert!(reply.body["title"].is_string() && reply.body["type"].is_string());
    assert!(reply.body["detail"].is_string());
}

/// Asserts a 400 problem naming exactly `parameter` among the bad ones; `context` says which
/// request it was.
pub fn assert_bad_parameter(reply: &Reply, parameter: &str, context: &str) {
    assert_problem(reply, 400);
    assert_eq!(
        reply.bad_parameters(),
        vec![parameter.to_owned()],
        "{context}"
    );
}

/// Follows `links.next` from `uri` and returns the ids of every item met, in order.
pub async fn collect_ids<S, B>(app: &S, uri: &str) -> Vec<String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut ids = Vec::new();
    let mut next = Some(uri.to_owned());
    while let Some(uri) = next.take() {
        let reply = get(app, &uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
        for item in reply.body["data"].as_array().expect("data") {
            ids.push(item["id"].as_str().expect("id").to_owned());
        }
        next = reply.body["links"]["next"]
            .as_str()
            .map(|u| u.trim_start_matches("http://localhost:8080").to_owned());
    }
    ids
}

/// Pages through `collection` (a path, without query) `page_size` items at a time, asserting that
/// every item of `meta.total` comes exactly once, in ascending id order; returns the ids.
pub async fn page_through<S, B>(app: &S, collection: &str, page_size: u32) -> Vec<String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let total = get(app, collection).await.body["meta"]["total"]
        .as_u64()
        .expect("meta.total");
    let ids = collect_ids(app, &format!("{collection}?page_size={page_size}")).await;
    assert_eq!(
        ids.len() as u64,
        total,
        "{collection}: every item is visited"
    );
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "{collection}: ids come once each, in ascending order: {ids:?}"
    );
    ids
}

/// The characters a spreadsheet may read as the start of a formula (OWASP, CSV injection).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text beginning with `start` that a spreadsheet would run: a link named `what`.
pub fn formula(start: char, what: &str) -> String {
    format!("{start}HYPERLINK(\"https://evil.example/{what}\",\"{what}\")")
}

/// The ids of what [`plant_formulas`] writes, each beginning like a formula.
pub const PLANTED_ORGANISATION: &str = "@org";
pub const PLANTED_INCUBATOR: &str = "+incub";
/// A startup, and one whose id is that one quoted: both must stay distinct in a CSV.
pub const PLANTED_STARTUP: &str = "=csv";
pub const PLANTED_QUOTED_STARTUP: &str = "'=csv";
pub const PLANTED_METRIC: &str = "-csv-metric";
/// The name of the token that writes them.
pub const PLANTED_TOKEN: &str = "@ops";

/// The startups [`plant_formulas`] writes, by id, with their name and pitch: one per character
/// of [`FORMULA_STARTS`] (`formula-0`…), then [`PLANTED_STARTUP`] and
/// [`PLANTED_QUOTED_STARTUP`].
pub fn planted_startups() -> Vec<(String, String, String)> {
    let mut startups: Vec<(String, String, String)> = FORMULA_STARTS
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            (
                format!("formula-{i}"),
                formula(start, "name"),
                format!("{start}pitch"),
            )
        })
        .collect();
    startups.push((PLANTED_STARTUP.into(), "-1+1".into(), "@SUM(1;2)".into()));
    startups.push((
        PLANTED_QUOTED_STARTUP.into(),
        "'=already quoted".into(),
        "'plain quote".into(),
    ));
    startups
}

/// Writes, through the API with an admin token named [`PLANTED_TOKEN`], records whose ids and
/// texts begin like formulas: the organisation [`PLANTED_ORGANISATION`], the incubator
/// [`PLANTED_INCUBATOR`] it runs, the [`planted_startups`] it hosts and sponsors (user type
/// `=usager`, contact `-team@example.org`), and the metric [`PLANTED_METRIC`] of
/// [`PLANTED_STARTUP`] with two negative observations (notes `=note` and a tab then `note`).
pub async fn plant_formulas<S, B>(db: &TestDb, app: &S)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let token = issue_token(db, PLANTED_TOKEN, "admin");
    let mut writes = vec![
        (
            "/api/v1/organisations".to_owned(),
            serde_json::json!({"id": PLANTED_ORGANISATION, "name": formula('=', "org"), "acronym": "-ORG", "kind": "autre"}),
        ),
        (
            "/api/v1/incubators".to_owned(),
            serde_json::json!({"id": PLANTED_INCUBATOR, "title": formula('+', "incubator"), "owner": PLANTED_ORGANISATION, "address": "-rue", "description": "@description"}),
        ),
    ];
    for (id, name, pitch) in planted_startups() {
        let startup = serde_json::json!({
            "id": id,
            "name": name,
            "pitch": pitch,
            "incubator": PLANTED_INCUBATOR,
            "sponsors": [PLANTED_ORGANISATION],
            "contact": "-team@example.org",
            "usertypes": ["=usager"],
            "phases": [
                {"phase": "investigation", "start": "2024-01-15", "end": "2024-06-30"},
                {"phase": "construction", "start": "2024-07-01"}
            ]
        });
        writes.push(("/api/v1/startups".to_owned(), startup));
    }
    writes.push((
        format!("/api/v1/startups/{}/metrics", betadata::api::shape::write::path_segment(PLANTED_STARTUP)),
        serde_json::json!({"id": PLANTED_METRIC, "label": "=label", "unit": "+unit", "description": "@description"}),
    ));
    writes.push((
        format!(
            "/api/v1/metrics/{}/observations",
            betadata::api::shape::write::path_segment(PLANTED_METRIC)
        ),
        serde_json::json!([
            {"date": "2025-01-31", "start": "2025-01-01", "value": -3.5, "note": "=note"},
            {"date": "2025-02-28", "value": -12, "note": "\tnote"}
        ]),
    ));
    for (uri, body) in writes {
        let reply = send(app, Method::POST, &uri, Some(&token), Some(&body), &[]).await;
        assert!(reply.status.is_success(), "{uri}: {}", reply.body);
    }
}

/// An item as the change feed records it: its representation without the fields the feed
/// leaves out ([`betadata::db::changes::NOT_IN_FEED`]).
pub fn as_in_feed(resource: &str, item: &Value) -> Value {
    betadata::db::changes::as_in_feed(resource, item)
}

/// The CSV or NDJSON pages of `first` and of every page its `next` links lead to, put together
/// as one whole export would say them: the header row once.
pub async fn pages_joined<S, B>(app: &S, first: &str, format: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut pages = String::new();
    let mut next = Some(first.to_owned());
    while let Some(uri) = next.take() {
        let response =
            test::call_service(app, test::TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(response.status(), 200, "{uri}");
        next = response
            .headers()
            .get(actix_web::http::header::LINK)
            .and_then(|l| l.to_str().ok())
            .and_then(|links| {
                links
                    .split(',')
                    .find(|l| l.contains("rel=\"next\""))
                    .map(|l| {
                        let url = l.trim().trim_start_matches('<').split('>').next().unwrap();
                        url.trim_start_matches("http://localhost:8080").to_owned()
                    })
            });
        let body = test::read_body(response).await;
        let text = String::from_utf8(body.to_vec()).unwrap();
        match (format, pages.is_empty()) {
            ("csv", false) => pages.push_str(text.split_once("\r\n").map_or("", |(_, rows)| rows)),
            _ => pages.push_str(&text),
        }
    }
    pages
}

/// Runs `sql` on the test database, around the API, then bumps the data revision, as any
/// writer must for the response cache to see the change; returns the rows `sql` changed.
pub fn execute_around(db: &TestDb, sql: &str) -> usize {
    use diesel::RunQueryDsl;
    let mut conn = db.pool.get().expect("connection");
    let changed = diesel::sql_query(sql).execute(&mut *conn).expect(sql);
    diesel::sql_query("UPDATE data_revision SET revision = revision + 1")
        .execute(&mut *conn)
        .expect("bump");
    changed
}

/// How many startups have stale lines and items.
pub fn stale_startups(db: &TestDb) -> i64 {
    let mut conn = db.pool.get().expect("connection");
    betadata::db::startup_lines::stale_count(&mut conn).expect("count")
}

/// Renders the lines and items of every stale startup; returns how many it took.
pub fn refresh_startups(db: &TestDb) -> usize {
    let mut conn = db.pool.get().expect("connection");
    betadata::api::v1::startups::lines::refresh_in_batches(&mut conn).expect("refresh")
}

/// Creates, through the API, startup `bientot` of incubator `dinum`, investigating since
/// 2024-01-15 and building from 30 days after today: what is stored for it holds from that
/// day on only. Returns that day.
pub async fn create_bientot<S, B>(app: &S, admin: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let soon = chrono::Utc::now().date_naive() + chrono::Days::new(30);
    let body = serde_json::json!({
        "id": "bientot", "name": "Bientôt", "incubator": "dinum",
        "phases": [
            {"phase": "investigation", "start": "2024-01-15"},
            {"phase": "construction", "start": soon.to_string()},
        ],
    });
    let created = send(
        app,
        Method::POST,
        "/api/v1/startups",
        Some(admin),
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["current_phase"], "investigation");
    soon.to_string()
}

/// Imports startups from seed-format `yaml`, as file `path`; asserts that `expected` were
/// loaded.
pub fn import_startups(
    conn: &mut betadata::db::DbConnection,
    path: &str,
    yaml: &str,
    expected: usize,
) {
    let file = betadata::seed::SeedFile {
        path: path.into(),
        kind: betadata::seed::SeedKind::Startups,
        text: yaml.into(),
    };
    let (counts, report) = betadata::seed::load::import(conn, &[file]).expect("import");
    assert_eq!(counts.startups, expected, "{report:?}");
}

/// Waits until the search index of `state` holds the data as the database has it now (the first
/// search, or a write, starts its build). Each look takes a connection of `pool` and gives it
/// back before the next, so that the build can take it, even from a pool of one connection.
pub fn wait_for_index(state: &AppState, pool: &DbPool) {
    let searcher = state.searcher.clone().expect("a searcher");
    let deadline = Instant::now() + Duration::from_secs(20);
    let current = || {
        let mut conn = pool.get().expect("connection");
        searcher.current(&mut conn).expect("generation").is_some()
    };
    while !current() {
        assert!(Instant::now() < deadline, "the index was not rebuilt");
        std::thread::sleep(Duration::from_millis(20));
    }
}
