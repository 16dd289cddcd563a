//! Limits and protections around the API: security headers, bounded requests, time limits,
//! and 500s that say nothing of their cause. In-process on both backends, and against the real
//! binary over raw TCP for what only a server shows (slow clients, the head actix reads).

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::{Method, header};
use actix_web::test;
use betadata::api::app;
use betadata::api::http::limits::{MAX_HEADERS, MAX_TARGET};
use common::{assert_problem, both_backends};
use diesel::connection::SimpleConnection;
use serde_json::json;

/// What no 500 may show of its cause.
const INTERNALS: &[&str] = &[
    "phases_gone",
    "no such table",
    "does not exist",
    "relation",
    "SELECT",
    "sqlite",
    "postgres",
    "diesel",
    "src/",
    ".rs:",
    "panicked",
];

both_backends! {
    fn html_pages_cannot_be_framed_and_send_no_referrer(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for uri in ["/", "/docs/"] {
            let response = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.status(), 200, "{uri}");
            let headers = response.headers();
            let value = |name| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert!(value(header::CONTENT_TYPE).starts_with("text/html"), "{uri}");
            assert_eq!(value(header::X_FRAME_OPTIONS), "DENY", "{uri}");
            assert!(value(header::CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'"), "{uri}");
            assert_eq!(value(header::REFERRER_POLICY), "no-referrer", "{uri}");
            assert_eq!(value(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{uri}");
        }
    }

    fn json_answers_are_not_sniffed_and_name_no_server(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for (uri, status) in [("/api/v1/startups", 200), ("/api/v1/openapi.json", 200), ("/api/v1/nothing", 404), ("/api/v1/startups?x=1", 400)] {
            let response = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.status(), status, "{uri}");
            let headers = response.headers();
            assert_eq!(headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff", "{uri}");
            assert!(headers.get(header::SERVER).is_none(), "{uri}");
            assert!(headers.get("x-powered-by").is_none(), "{uri}");
        }
    }

    fn a_database_error_is_a_bare_500(db) {
        let db = db.seeded();
        // Without the response cache, which would answer the first read again: the table is
        // renamed behind the data revision's back.
        let app = test::init_service(app(db.state().with_cache_mib(0))).await;
        assert_eq!(common::get(&app, "/api/v1/phases").await.status, 200);
        // The table goes from under the running application.
        db.pool.get().expect("a connection").batch_execute("ALTER TABLE phases RENAME TO phases_gone").expect("rename");
        for uri in ["/api/v1/phases", "/api/v1/phases/construction", "/api/v1/startups?phase=construction", "/"] {
            let (status, content_type, body) = common::get_text(&app, uri).await;
            assert_eq!(status, 500, "{uri}: {body}");
            assert_eq!(content_type, "application/problem+json", "{uri}");
            let problem: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            assert_eq!(problem["type"], "/problems/internal", "{uri}");
            assert_eq!(problem["detail"], "database error", "{uri}");
            let lower = body.to_lowercase();
            for internal in INTERNALS {
                assert!(!lower.contains(&internal.to_lowercase()), "{uri} shows `{internal}`: {body}");
            }
        }
    }

    fn a_long_target_is_a_414_and_many_headers_a_431(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let long = format!("/api/v1/startups?q={}", "a".repeat(MAX_TARGET));
        let reply = common::get(&app, &long).await;
        assert_problem(&reply, 414);
        let long_path = format!("/api/v1/startups/{}", "a".repeat(MAX_TARGET));
        assert_problem(&common::get(&app, &long_path).await, 414);
        // Just under the limit, the same request is read (and the search finds nothing).
        let fits = format!("/api/v1/startups?q={}", "a".repeat(MAX_TARGET - 200));
        assert_eq!(common::get(&app, &fits).await.status, 200);

        let mut request = test::TestRequest::get().uri("/api/v1/startups");
        for i in 0..(MAX_HEADERS / 1_000 + 1) {
            request = request.insert_header((format!("x-padding-{i}"), "p".repeat(1_000)));
        }
        let (status, content_type, body) = common::body_of(&app, request.to_request()).await;
        assert_eq!(status, 431, "{body}");
        assert_eq!(content_type, "application/problem+json");
    }

    fn a_body_past_the_limit_is_refused_on_every_route(db) {
        let db = db.seeded();
        let admin = common::issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        let limit = betadata::api::http::body::BODY_LIMIT;
        // Declared too large: refused before any byte is read, whatever the route.
        for (method, uri) in [(Method::GET, "/api/v1/startups"), (Method::POST, "/api/v1/startups"), (Method::DELETE, "/api/v1/startups/medle"), (Method::GET, "/")] {
            let request = test::TestRequest::default()
                .method(method.clone())
                .uri(uri)
                .insert_header((header::AUTHORIZATION, format!("Bearer {admin}")))
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .insert_header((header::CONTENT_LENGTH, (limit + 1).to_string()))
                .to_request();
            let (status, content_type, body) = common::body_of(&app, request).await;
            assert_eq!(status, 413, "{method} {uri}: {body}");
            assert_eq!(content_type, "application/problem+json", "{method} {uri}");
        }
        // Forms and other media types are no JSON: 415, before they are read.
        for media in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", "application/xml"] {
            let request = test::TestRequest::post()
                .uri("/api/v1/startups")
                .insert_header((header::AUTHORIZATION, format!("Bearer {admin}")))
                .insert_header((header::CONTENT_TYPE, media))
                .set_payload("id=x&name=y")
                .to_request();
            let (status, content_type, body) = common::body_of(&app, request).await;
            assert_eq!(status, 415, "{media}: {body}");
            assert_eq!(content_type, "application/problem+json", "{media}");
        }
        assert_eq!(common::get(&app, "/api/v1/startups/medle").await.status, 200, "nothing was deleted");
    }
}

/// A fresh database with `work` holding a lock on it from another connection, and the answer
/// the application gives meanwhile to `method uri` under a one-second limit of database work.
mod query_timeout {
    use super::*;

    async fn answer_while_locked(
        db: &common::TestDb,
        lock: &str,
        method: Method,
        uri: &str,
        body: Option<serde_json::Value>,
    ) -> (common::Reply, Duration) {
        let admin = common::issue_token(db, "ops", "admin");
        let limit = Duration::from_secs(1);
        // The serving pool, as `serve` makes it: PostgreSQL cancels a statement at the limit.
        let pool = betadata::db::connect_for_requests(&db.url, 2, limit).expect("a pool");
        let state = betadata::api::AppState::new(pool).with_query_timeout(limit);
        let app = test::init_service(app(state)).await;
        let mut holder = db.pool.get().expect("a connection");
        holder.batch_execute(lock).expect("take the lock");
        let started = Instant::now();
        let reply = common::send(&app, method, uri, Some(&admin), body.as_ref(), &[]).await;
        let elapsed = started.elapsed();
        holder.batch_execute("ROLLBACK").expect("release the lock");
        (reply, elapsed)
    }

    fn assert_timed_out(reply: &common::Reply, elapsed: Duration) {
        assert_problem(reply, 503);
        assert_eq!(reply.body["type"], "/problems/timed-out");
        assert_eq!(reply.headers.get(header::RETRY_AFTER).unwrap(), "5");
        assert!(
            elapsed >= Duration::from_millis(900),
            "answered after {elapsed:?}, before the limit"
        );
        assert!(
            elapsed < Duration::from_secs(4),
            "answered after {elapsed:?}"
        );
    }

    #[actix_rt::test]
    async fn a_write_waiting_on_a_lock_past_the_limit_is_a_503_on_sqlite() {
        let db = common::TestDb::sqlite().seeded();
        // SQLite readers do not wait on a writer (WAL); writers do, up to busy_timeout (5 s).
        let body = json!({"id": "slow-write", "name": "Slow write"});
        let (reply, elapsed) = answer_while_locked(
            &db,
            "BEGIN IMMEDIATE",
            Method::POST,
            "/api/v1/startups",
            Some(body),
        )
        .await;
        assert_timed_out(&reply, elapsed);
    }

    #[actix_rt::test]
    async fn a_write_that_sqlite_gives_up_on_is_a_503_busy() {
        let db = common::TestDb::sqlite().seeded();
        let admin = common::issue_token(&db, "ops", "admin");
        // The default time limit, past SQLite's wait for a lock (busy_timeout, 5 s).
        let app = test::init_service(app(db.state())).await;
        let mut holder = db.pool.get().expect("a connection");
        holder
            .batch_execute("BEGIN IMMEDIATE")
            .expect("take the lock");
        let body = json!({"id": "busy-write", "name": "Busy write"});
        let reply = common::send(
            &app,
            Method::POST,
            "/api/v1/startups",
            Some(&admin),
            Some(&body),
            &[],
        )
        .await;
        holder.batch_execute("ROLLBACK").expect("release the lock");
        assert_problem(&reply, 503);
        assert_eq!(reply.body["type"], "/problems/busy");
        assert_eq!(reply.headers.get(header::RETRY_AFTER).unwrap(), "1");
        // Nothing was written, and a retry goes through.
        assert_eq!(
            common::get(&app, "/api/v1/startups/busy-write")
                .await
                .status,
            404
        );
        let retry = common::send(
            &app,
            Method::POST,
            "/api/v1/startups",
            Some(&admin),
            Some(&body),
            &[],
        )
        .await;
        assert_eq!(retry.status, 201, "{}", retry.body);
    }

    #[actix_rt::test]
    #[cfg_attr(
        not(betadata_pg_tests),
        ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
    )]
    async fn a_read_waiting_on_a_lock_past_the_limit_is_a_503_and_cancelled_on_postgres() {
        let db = common::TestDb::postgres().seeded();
        let lock = "BEGIN; LOCK TABLE startups IN ACCESS EXCLUSIVE MODE";
        let (reply, elapsed) =
            answer_while_locked(&db, lock, Method::GET, "/api/v1/startups", None).await;
        assert_timed_out(&reply, elapsed);

        // Each connection of the serving pool carries the limit, and the one whose statement
        // was cancelled serves again.
        let limit = Duration::from_secs(1);
        let pool = betadata::db::connect_for_requests(&db.url, 1, limit).expect("a pool");
        let mut conn = pool.get().expect("a connection");
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            statement_timeout: String,
        }
        let setting: Setting = diesel::RunQueryDsl::get_result(
            diesel::sql_query("SHOW statement_timeout"),
            &mut *conn,
        )
        .expect("SHOW");
        assert_eq!(setting.statement_timeout, "1s");
        drop(conn);
        let state = betadata::api::AppState::new(pool).with_query_timeout(limit);
        let app = test::init_service(app(state)).await;
        assert_eq!(common::get(&app, "/api/v1/startups").await.status, 200);
    }
}

/// A client that stops reading an export does not keep the database connection it streams
/// from: the export is written ahead of it, the connection serves others at once, and the
/// export, read at last, is whole.
#[actix_rt::test]
async fn a_client_that_stops_reading_an_export_frees_its_connection() {
    let db = common::TestDb::sqlite();
    {
        let mut conn = db.pool.get().expect("a connection");
        let options = betadata::generate::Options {
            startups: 5,
            observations: 8_000,
            seed: 7,
            progress: false,
        };
        betadata::generate::generate(&mut conn, &options).expect("generate");
    }
    // One connection, so that a held one is seen at once.
    let pool = betadata::db::connect(&db.url, 1).expect("a pool");
    let state = betadata::api::AppState::new(pool).with_query_timeout(Duration::from_secs(1));
    let app = test::init_service(app(state)).await;
    let export = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/v1/observations?format=csv")
            .to_request(),
    )
    .await;
    assert_eq!(export.status(), 200);
    // The client reads nothing; the export is read from the database meanwhile.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let reply = common::get(&app, "/api/v1/phases").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "waited {:?} for a connection",
        started.elapsed()
    );
    let Ok(body) = test::try_read_body(export).await else {
        panic!("the export is cut off");
    };
    let rows = String::from_utf8_lossy(&body).lines().count();
    assert_eq!(rows, 8_000 + 1, "every observation and the header row");
}

/// The real server, on a free port of the loopback, with short client time limits; killed
/// when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    token: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let database = dir.path().join("betadata.db");
        let betadata = |args: &[&str]| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_betadata"));
            command
                .args(args)
                .env("DATABASE_URL", &database)
                .env("RUST_LOG", "error");
            command
        };
        let created = betadata(&["token", "create", "--name", "ops", "--scope", "admin"])
            .output()
            .expect("betadata token create");
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );
        let token = String::from_utf8(created.stdout)
            .expect("UTF-8")
            .trim()
            .to_owned();
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let child = betadata(&["serve", "--bind", &addr.to_string(), "--workers", "1"])
            .args([
                "--client-timeout",
                "1",
                "--body-timeout",
                "1",
                "--keep-alive",
                "1",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start betadata serve");
        let server = Self {
            child,
            addr,
            token,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (head, _) = server.exchange(
                b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                Duration::from_secs(5),
            );
            if head.starts_with("HTTP/1.1 200") {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer /health: {head}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Sends `bytes`, then reads until the server closes the connection or `wait` passes;
    /// returns what was read and when the connection ended (or `wait`, if it did not).
    fn exchange(&self, bytes: &[u8], wait: Duration) -> (String, Duration) {
        let started = Instant::now();
        let Ok(mut stream) = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) else {
            return (String::new(), started.elapsed());
        };
        let _ = stream.write_all(bytes);
        let mut read = Vec::new();
        let mut buffer = [0; 4096];
        while started.elapsed() < wait {
            let left = wait
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(1));
            stream.set_read_timeout(Some(left)).expect("a read timeout");
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => read.extend_from_slice(&buffer[..n]),
            }
        }
        (
            String::from_utf8_lossy(&read).into_owned(),
            started.elapsed(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// `test` is actix's test module here: the attribute by its full name.
#[core::prelude::v1::test]
fn slow_clients_are_cut_off_by_the_real_server() {
    let server = Server::start();
    let wait = Duration::from_secs(10);

    // Half a request line, then nothing: answered 408 and disconnected at the head limit.
    let (answer, took) = server.exchange(b"GET /api/v1/startups HT", wait);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(took < Duration::from_secs(4), "held for {took:?}");

    // A complete head, a tenth of the body it announces, then nothing: 408 as a problem.
    let head = format!(
        "POST /api/v1/startups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"id\": \"slow\",",
        server.token
    );
    let (answer, took) = server.exchange(head.as_bytes(), wait);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("application/problem+json"), "{answer:?}");
    assert!(answer.contains("/problems/request-timeout"), "{answer:?}");
    assert!(took < Duration::from_secs(4), "held for {took:?}");

    // An idle connection after an answer is closed at the keep-alive limit.
    let (answer, took) = server.exchange(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", wait);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(took < Duration::from_secs(4), "kept for {took:?}");
}

#[core::prelude::v1::test]
fn the_real_server_bounds_the_head_and_names_no_version() {
    let server = Server::start();
    let wait = Duration::from_secs(10);

    let (answer, _) = server.exchange(
        b"GET /api/v1/startups HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        wait,
    );
    let head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    assert!(!head.contains("\r\nserver:"), "{head}");

    // Past the application's limit: its problem document.
    let target = format!("/api/v1/startups?q={}", "a".repeat(MAX_TARGET));
    let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (answer, _) = server.exchange(request.as_bytes(), wait);
    assert!(answer.starts_with("HTTP/1.1 414"), "{answer:.200}");
    assert!(answer.contains("application/problem+json"), "{answer:.400}");

    // Past what actix-http reads of a head (128 KiB, or 96 header lines), and garbage or a
    // broken framing instead of a request: actix-http answers before the application, with
    // the problem document every other error has, and closes the connection.
    let many_lines: String = (0..100).map(|i| format!("X-Line-{i}: {i}\r\n")).collect();
    let cases: [(String, &str); 5] = [
        (format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n", "p".repeat(140 * 1024)), "431"),
        (format!("GET /health HTTP/1.1\r\nHost: x\r\n{many_lines}\r\n"), "431"),
        ("\x16\x03\x01\x02\x00 not HTTP\r\n\r\n".to_owned(), "400"),
        ("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n".to_owned(), "400"),
        ("POST /api/v1/startups HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n".to_owned(), "400"),
    ];
    for (request, status) in cases {
        let (answer, took) = server.exchange(request.as_bytes(), wait);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{request:.80}: {answer:.200}"
        );
        let lower = answer.to_lowercase();
        assert!(
            lower.contains("content-type: application/problem+json"),
            "{request:.80}: {answer:.400}"
        );
        assert!(
            lower.contains("x-content-type-options: nosniff"),
            "{answer:.400}"
        );
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or_default();
        let problem: serde_json::Value = serde_json::from_str(body).expect("a problem document");
        assert_eq!(problem["status"].to_string(), status, "{body}");
        assert!(took < Duration::from_secs(4), "held for {took:?}");
    }
}
