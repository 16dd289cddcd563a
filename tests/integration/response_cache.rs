//! The response cache, on both backends: a write is seen by the very next read (in one process,
//! and across two `betadata serve` processes sharing a database), an answer from memory is the
//! very answer rendered, a new day renders again, and a large export streams without being kept.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{self, ContentEncoding, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::test;
use actix_web::web::Bytes;
use betadata::api::app;
use betadata::api::http::clock::Clock;
use betadata::api::http::public_url::{PublicUrl, parse_proxy};
use betadata::api::http::response_cache::ResponseCache;
use betadata::api::http::spool::ExportSpool;
use betadata::db::revision::Revision;
use betadata::db::shared_reads::SharedReads;
use chrono::NaiveDate;
use common::{both_backends, get, issue_token, send};
use diesel::Connection;
use futures_util::future::join_all;
use serde_json::{Value, json};

/// A response as sent: status, headers (sorted, to compare) and the body's bytes.
#[derive(Debug, PartialEq)]
struct Raw {
    status: StatusCode,
    headers: Vec<(String, Vec<u8>)>,
    body: Bytes,
}

/// actix-cors lists the exposed headers from a hash set: their order differs between two
/// applications, so that list is compared sorted.
fn sorted(headers: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = headers
        .iter()
        .map(|(name, value)| {
            let mut value = value.as_bytes().to_vec();
            if name == header::ACCESS_CONTROL_EXPOSE_HEADERS {
                let text = String::from_utf8(value).expect("ASCII");
                let mut names: Vec<&str> = text.split(", ").collect();
                names.sort_unstable();
                value = names.join(", ").into_bytes();
            }
            (name.as_str().to_owned(), value)
        })
        .collect();
    all.sort();
    all
}

impl Raw {
    fn header(&self, name: header::HeaderName) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n == name.as_str())
            .map(|(_, v)| String::from_utf8(v.clone()).expect("ASCII"))
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("UTF-8")
    }
}

/// The TCP peer of the requests [`fetch`] sends: a proxy, to the applications that trust it
/// ([`trusting_the_peer`]).
const PEER: &str = "10.0.0.2:40000";

/// Bound to `localhost:8080`, trusting the forwarded headers of [`PEER`].
fn trusting_the_peer() -> PublicUrl {
    let proxy = parse_proxy("10.0.0.2").expect("an address");
    PublicUrl::new(
        None,
        "0.0.0.0:8080".parse().expect("an address"),
        vec![proxy],
    )
}

/// Sends `method uri` with `headers` from [`PEER`] and reads the whole response.
async fn fetch<S, B>(app: &S, method: Method, uri: &str, headers: &[(&str, &str)]) -> Raw
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut request = test::TestRequest::default()
        .method(method)
        .uri(uri)
        .peer_addr(PEER.parse().expect("an address"));
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let response = test::call_service(app, request.to_request()).await;
    let status = response.status();
    let headers = sorted(response.headers());
    let body = test::read_body(response).await;
    Raw {
        status,
        headers,
        body,
    }
}

/// The body with its content coding undone. A streamed export's coded bytes may differ from
/// one rendering to the next (the encoder flushes whenever the database pauses), its content
/// does not.
async fn decoded(raw: &Raw) -> Bytes {
    use futures_util::StreamExt;
    let coding = raw.header(header::CONTENT_ENCODING);
    let coding = if coding.is_empty() {
        ContentEncoding::Identity
    } else {
        coding.parse().expect("a coding")
    };
    let chunks =
        futures_util::stream::iter([Ok::<_, actix_http::error::PayloadError>(raw.body.clone())]);
    let mut decoder = actix_http::encoding::Decoder::new(chunks, coding);
    let mut out = Vec::new();
    while let Some(chunk) = decoder.next().await {
        out.extend_from_slice(&chunk.expect("a coded body"));
    }
    Bytes::from(out)
}

/// A startup of incubator `dinum` that the seeds do not hold.
fn new_startup(id: &str) -> Value {
    json!({
        "id": id,
        "name": "Service en cache",
        "pitch": "Un service pour voir les écritures à travers le cache",
        "incubator": "dinum",
        "sponsors": ["dinum"],
        "phases": [
            {"phase": "investigation", "start": "2024-01-15", "end": "2024-06-30"},
            {"phase": "construction", "start": "2024-07-01"}
        ]
    })
}

/// The reads that a write to a startup of `dinum` changes: the item, a filtered page, a
/// streamed CSV export, the portfolio's figures.
const READS: [&str; 4] = [
    "/api/v1/startups/encache",
    "/api/v1/startups?incubator=dinum&page_size=20",
    "/api/v1/startups?incubator=dinum&format=csv",
    "/api/v1/stats",
];

/// Requests whose answers from memory are compared with answers rendered: JSON pages, an item,
/// a sparse list, a streamed CSV export and a page of one, NDJSON by `Accept`, figures, the
/// compatibility files, the landing page.
const SAMPLES: [&str; 10] = [
    "/api/v1/startups?incubator=dinum&page_size=5",
    "/api/v1/startups/medle",
    "/api/v1/startups?fields=name,current_phase&sort=-created",
    "/api/v1/startups?format=csv",
    "/api/v1/startups?format=csv&page_size=3",
    "/api/v1/incubators",
    "/api/v1/stats",
    "/compat/v2.7/startups.json",
    "/compat/v2.7/startups.csv",
    "/",
];

both_backends! {
    fn a_write_is_seen_by_the_very_next_read(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let state = db.state();
        let app = test::init_service(app(state.clone())).await;
        let mut before = Vec::new();
        for uri in READS {
            let first = fetch(&app, Method::GET, uri, &[]).await;
            let hits = state.cache.hits();
            let second = fetch(&app, Method::GET, uri, &[]).await;
            if first.status == StatusCode::OK {
                assert_eq!(state.cache.hits(), hits + 1, "{uri}: the second read is answered from memory");
                assert_eq!(first, second, "{uri}");
            }
            before.push(second);
        }
        assert_eq!(before[0].status, StatusCode::NOT_FOUND, "not created yet");
        let created = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&new_startup("encache")), &[]).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let mut after = Vec::new();
        for uri in READS {
            after.push(fetch(&app, Method::GET, uri, &[]).await);
        }
        assert_eq!(after[0].status, StatusCode::OK);
        assert_eq!(after[0].json()["name"], "Service en cache");
        let page = after[1].json();
        assert_eq!(page["meta"]["total"], before[1].json()["meta"]["total"].as_i64().expect("total") + 1);
        assert!(after[2].text().lines().any(|line| line.starts_with("encache,")), "the export holds the new startup");
        assert_eq!(after[3].json()["startups_total"], before[3].json()["startups_total"].as_i64().expect("total") + 1);
        for (uri, (old, new)) in READS.iter().zip(before.iter().zip(&after)).skip(1) {
            assert_ne!(old.header(header::ETAG), new.header(header::ETAG), "{uri}: a new tag");
        }

        // A change that moves no total: the item and the page show it, under new tags.
        let item_tag = after[0].header(header::ETAG);
        let renamed = send(&app, Method::PATCH, "/api/v1/startups/encache", Some(&admin), Some(&json!({"name": "Renommé"})), &[]).await;
        assert_eq!(renamed.status, 200, "{}", renamed.body);
        let item = fetch(&app, Method::GET, READS[0], &[]).await;
        assert_eq!(item.json()["name"], "Renommé");
        assert_ne!(item.header(header::ETAG), item_tag);
        assert_eq!(item.header(header::ETAG), renamed.etag(), "the write answers the item as its GET shows it");
        let page = fetch(&app, Method::GET, READS[1], &[]).await.json();
        let listed = page["data"].as_array().expect("data").iter().find(|s| s["id"] == "encache").cloned();
        assert_eq!(listed.expect("listed")["name"], "Renommé");
        // A tag read before the change no longer answers 304.
        let stale = fetch(&app, Method::GET, READS[0], &[("if-none-match", &item_tag)]).await;
        assert_eq!(stale.status, StatusCode::OK);
    }

    fn an_answer_from_memory_is_the_answer_rendered(db) {
        let db = db.seeded();
        // Behind a trusted proxy, whose forwarded host and scheme vary the links.
        let plain = test::init_service(app(db.state().with_cache_mib(0).with_public_url(trusting_the_peer()))).await;
        let state = db.state().with_public_url(trusting_the_peer());
        let cached = test::init_service(app(state.clone())).await;
        let variants: [&[(&str, &str)]; 5] = [
            &[],
            &[("accept-encoding", "gzip")],
            &[("accept-encoding", "br;q=1, gzip;q=0.5")],
            &[("accept", "application/x-ndjson")],
            &[("x-forwarded-host", "data.example.org"), ("x-forwarded-proto", "https")],
        ];
        for uri in SAMPLES {
            for headers in variants {
                let rendered = fetch(&plain, Method::GET, uri, headers).await;
                assert_eq!(rendered.status, StatusCode::OK, "{uri} {headers:?}");
                let hits = state.cache.hits();
                let miss = fetch(&cached, Method::GET, uri, headers).await;
                let hit = fetch(&cached, Method::GET, uri, headers).await;
                assert_eq!(state.cache.hits(), hits + 1, "{uri} {headers:?}: answered from memory");
                assert_eq!(hit, miss, "{uri} {headers:?}: from memory, the bytes sent when rendered");
                assert_eq!((miss.status, &miss.headers), (rendered.status, &rendered.headers), "{uri} {headers:?}");
                assert_eq!(decoded(&miss).await, decoded(&rendered).await, "{uri} {headers:?}");
                if miss.header(header::CONTENT_ENCODING).is_empty() {
                    assert_eq!(miss.body, rendered.body, "{uri} {headers:?}");
                }
                let head = fetch(&cached, Method::HEAD, uri, headers).await;
                assert_eq!((head.status, &head.headers), (StatusCode::OK, &rendered.headers), "{uri} {headers:?}: HEAD");
                let tag = rendered.header(header::ETAG);
                let mut conditional = headers.to_vec();
                conditional.push(("if-none-match", &tag));
                let not_modified = fetch(&cached, Method::GET, uri, &conditional).await;
                assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED, "{uri} {headers:?}");
                assert!(not_modified.body.is_empty());
            }
        }
        // Each coding is kept apart, under its own tag.
        let identity = fetch(&cached, Method::GET, SAMPLES[0], &[]).await;
        let gzip = fetch(&cached, Method::GET, SAMPLES[0], &[("accept-encoding", "gzip")]).await;
        assert_eq!(gzip.header(header::CONTENT_ENCODING), "gzip");
        assert_eq!(gzip.header(header::ETAG), format!("{}-gzip\"", identity.header(header::ETAG).trim_end_matches('"')));
        // Absolute links follow the host the trusted proxy forwards, never another request's
        // (tests/integration/public_url.rs: nor one that anybody else forwards).
        let forwarded = fetch(&cached, Method::GET, SAMPLES[0], &[("x-forwarded-host", "data.example.org")]).await;
        assert!(forwarded.json()["links"]["self"].as_str().expect("self").starts_with("http://data.example.org/"));
        assert!(identity.json()["links"]["self"].as_str().expect("self").starts_with("http://localhost:8080/"));
        // CORS is added to answers from memory as to the others.
        let cors = fetch(&cached, Method::GET, SAMPLES[0], &[("origin", "https://example.org")]).await;
        assert_eq!(cors.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    }

    fn a_new_day_renders_again(db) {
        let db = db.seeded();
        let base = test::init_service(app(db.state())).await;
        // A startup with two phases after one another: on the day before the second starts,
        // the first is current; on the day it starts, the second.
        let phases = get(&base, "/api/v1/startups/medle/phases").await.body;
        let data = phases["data"].as_array().expect("phases");
        let pair = data.windows(2).find(|w| w[0]["phase"] != w[1]["phase"]).expect("two phases");
        let second: NaiveDate = pair[1]["start"].as_str().expect("start").parse().expect("date");
        let clock = Clock::fixed(second.pred_opt().expect("a day before"));
        let state = db.state().with_clock(clock.clone());
        let app = test::init_service(app(state.clone())).await;
        let uri = "/api/v1/startups/medle";
        let before = fetch(&app, Method::GET, uri, &[]).await;
        assert_eq!(before.json()["current_phase"], pair[0]["phase"]);
        let stats_before = fetch(&app, Method::GET, "/api/v1/stats", &[]).await;
        let hits = state.cache.hits();
        assert_eq!(fetch(&app, Method::GET, uri, &[]).await, before);
        assert_eq!(state.cache.hits(), hits + 1, "the same day is answered from memory");
        clock.set(second);
        let after = fetch(&app, Method::GET, uri, &[]).await;
        assert_eq!(after.json()["current_phase"], pair[1]["phase"], "the next day is rendered again");
        assert_ne!(after.header(header::ETAG), before.header(header::ETAG));
        let stats_after = fetch(&app, Method::GET, "/api/v1/stats", &[]).await;
        assert_eq!(stats_after.json()["as_of"], second.to_string());
        assert_ne!(stats_after.json()["as_of"], stats_before.json()["as_of"]);
    }

    fn an_export_over_the_largest_entry_streams_and_is_not_kept(db) {
        let db = db.seeded();
        // 8 KiB of budget: nothing over 1 KiB is kept.
        let state = db.state().with_cache(ResponseCache::new(8 * 1024));
        let app = test::init_service(app(state.clone())).await;
        let uri = "/api/v1/startups?format=csv";
        let first = fetch(&app, Method::GET, uri, &[]).await;
        assert!(first.body.len() > state.cache.largest_entry(), "{} bytes", first.body.len());
        let second = fetch(&app, Method::GET, uri, &[]).await;
        assert_eq!(first, second);
        assert_eq!(state.cache.hits(), 0, "rendered each time");
        assert_eq!(state.cache.len(), 0);
        // A small answer is still kept.
        fetch(&app, Method::GET, "/api/v1/phases/construction", &[]).await;
        fetch(&app, Method::GET, "/api/v1/phases/construction", &[]).await;
        assert_eq!(state.cache.hits(), 1);
    }

    fn an_export_over_the_largest_entry_is_sent_from_the_spool_until_a_write(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let parent = tempfile::tempdir().expect("temporary directory");
        // 8 KiB of memory (nothing over 1 KiB kept there) and 1 MiB of disk.
        let cache = ResponseCache::new(8 * 1024).with_spool(ExportSpool::new(parent.path(), 1024 * 1024));
        let state = db.state().with_cache(cache);
        let plain = test::init_service(app(db.state().with_cache_mib(0))).await;
        let app = test::init_service(app(state.clone())).await;
        let spool = state.cache.spool().expect("a spool");
        let uri = "/api/v1/startups?format=csv";
        for headers in [&[][..], &[("accept-encoding", "gzip")][..]] {
            let rendered = fetch(&plain, Method::GET, uri, headers).await;
            let first = fetch(&app, Method::GET, uri, headers).await;
            assert!(first.body.len() > state.cache.largest_entry(), "{} bytes", first.body.len());
            let hits = spool.hits();
            let second = fetch(&app, Method::GET, uri, headers).await;
            assert_eq!(spool.hits(), hits + 1, "{headers:?}: sent from the file");
            assert_eq!(second, first, "{headers:?}: the bytes and headers sent when rendered");
            assert_eq!((&second.status, &second.headers), (&rendered.status, &rendered.headers));
            assert_eq!(decoded(&second).await, decoded(&rendered).await, "{headers:?}");
            let mut conditional = headers.to_vec();
            let tag = second.header(header::ETAG);
            conditional.push(("if-none-match", &tag));
            assert_eq!(fetch(&app, Method::GET, uri, &conditional).await.status, StatusCode::NOT_MODIFIED);
        }
        assert_eq!(state.cache.len(), 0, "nothing of it in memory");
        assert_eq!(spool.len(), 2, "one file per coding");
        let dir = spool.dir().expect("made").to_owned();

        // A write: the next read renders the new data, and its file replaces the old ones.
        let created = send(&app, Method::POST, "/api/v1/startups", Some(&admin), Some(&new_startup("enspool")), &[]).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let hits = spool.hits();
        let after = fetch(&app, Method::GET, uri, &[]).await;
        assert_eq!(spool.hits(), hits, "rendered again");
        assert!(after.text().lines().any(|line| line.starts_with("enspool,")));
        assert_eq!(after, fetch(&app, Method::GET, uri, &[]).await);
        assert_eq!(spool.hits(), hits + 1);
        assert_eq!(spool.len(), 1, "the older revision's files are gone");
        let files = std::fs::read_dir(&dir).expect("spool directory").flatten().filter(|e| e.file_name() != "owner.lock").count();
        assert_eq!(files, 1, "one file kept, beside the owner lock");
        drop(app);
        drop(state);
        assert!(!dir.exists(), "the spool directory goes with the server");
    }

    fn the_same_answer_asked_for_at_once_is_rendered_once(db) {
        let db = db.seeded();
        let parent = tempfile::tempdir().expect("temporary directory");
        let cache = ResponseCache::new(8 * 1024).with_spool(ExportSpool::new(parent.path(), 1024 * 1024));
        let state = db.state().with_cache(cache);
        let app = test::init_service(app(state.clone())).await;
        let uri = "/api/v1/startups?format=csv";
        let answers = join_all((0..4).map(|_| fetch(&app, Method::GET, uri, &[]))).await;
        assert!(answers.iter().all(|a| a.status == StatusCode::OK && *a == answers[0]), "the same answer four times");
        assert!(answers[0].body.len() > state.cache.largest_entry());
        let spool = state.cache.spool().expect("a spool");
        assert_eq!(state.cache.renders(), 1, "one render, the others waited for it");
        assert_eq!(spool.hits(), 3, "and were sent its file");
        // An export kept in memory too: rendered once, the others answered from memory.
        let state = db.state();
        let in_memory = test::init_service(betadata::api::app(state.clone())).await;
        let answers = join_all((0..4).map(|_| fetch(&in_memory, Method::GET, uri, &[]))).await;
        assert!(answers.iter().all(|a| a.status == StatusCode::OK && *a == answers[0]));
        assert_eq!((state.cache.renders(), state.cache.hits()), (1, 3));
        // And a page.
        let page = "/api/v1/startups?incubator=sgmas&page_size=20";
        let answers = join_all((0..4).map(|_| fetch(&in_memory, Method::GET, page, &[]))).await;
        assert!(answers.iter().all(|a| a.status == StatusCode::OK && *a == answers[0]));
        assert_eq!((state.cache.renders(), state.cache.hits()), (2, 6));
    }

    fn shared_revision_reads_see_every_write_committed_before_they_were_asked(db) {
        // The reads PostgreSQL requests share (SQLite reads on its own, but the reader works
        // on any connection): under a stream of writes, every read returns at least the
        // revision committed before it was asked, and concurrent reads share round trips.
        let db = db.seeded();
        let shared = Arc::new(SharedReads::start(db.pool.clone()).expect("reader thread"));
        let committed = Arc::new(AtomicI64::new(0));
        let writing = Arc::new(AtomicBool::new(true));
        let writer = {
            let (pool, committed, writing) = (db.pool.clone(), Arc::clone(&committed), Arc::clone(&writing));
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("connection");
                for _ in 0..150 {
                    let bumped = conn.transaction(|conn| Revision::bump(conn)).expect("bump");
                    committed.store(bumped.revision, Ordering::SeqCst);
                }
                writing.store(false, Ordering::SeqCst);
            })
        };
        let mut asked = 0_u64;
        loop {
            let last_round = !writing.load(Ordering::SeqCst);
            let reads = (0..16).map(|_| {
                let (shared, committed) = (Arc::clone(&shared), Arc::clone(&committed));
                async move {
                    let floor = committed.load(Ordering::SeqCst);
                    let read = shared.current().await.expect("a revision").revision;
                    assert!(read >= floor, "read {read}, but {floor} was committed before it was asked");
                }
            });
            join_all(reads).await;
            asked += 16;
            if last_round {
                break;
            }
        }
        writer.join().expect("writer");
        let last = committed.load(Ordering::SeqCst);
        assert_eq!(shared.current().await.expect("a revision").revision, last, "the last write is seen");
        assert!(shared.reads() < asked, "{} reads for {asked} requests", shared.reads());
    }

    fn two_server_processes_on_one_database_see_each_others_writes(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let url = match &db.url {
            betadata::db::DatabaseUrl::Sqlite(path) => path.clone(),
            betadata::db::DatabaseUrl::Postgres(url) => url.clone(),
        };
        let one = Server::start(&url);
        let two = Server::start(&url);
        let item = "/api/v1/startups/medle";
        let page = "/api/v1/startups?incubator=sgmas&page_size=20";
        // Both read, twice: the second read of each is answered from memory.
        let mut tags = Vec::new();
        for server in [&one, &two] {
            for uri in [item, page] {
                let (status, headers, _) = server.request("GET", uri, None, &[]);
                assert_eq!(status, 200, "{uri}");
                let (_, again, _) = server.request("GET", uri, None, &[]);
                assert_eq!(etag(&headers), etag(&again));
                tags.push(etag(&headers));
            }
        }
        assert_eq!(tags[0], tags[2], "both processes render the same item");
        let patch = json!({"pitch": "Écrit par un processus, lu par l'autre"}).to_string();
        let auth = format!("Bearer {admin}");
        let (status, _, body) = one.request("PATCH", item, Some(&patch), &[("Authorization", &auth), ("Content-Type", "application/json")]);
        assert_eq!(status, 200, "{body}");
        let (status, headers, body) = two.request("GET", item, None, &[]);
        assert_eq!(status, 200);
        let read: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(read["pitch"], "Écrit par un processus, lu par l'autre", "the other process shows the write at once");
        assert_ne!(etag(&headers), tags[2]);
        let (_, headers, body) = two.request("GET", page, None, &[]);
        assert_ne!(etag(&headers), tags[3], "the page holds the pitch");
        assert!(body.contains("Écrit par un processus"));
    }
}

fn etag(headers: &str) -> String {
    headers
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("etag")
                .then(|| value.trim().to_owned())
        })
        .expect("an ETag")
}

/// A `betadata serve` process on a free loopback port; killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(database: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_betadata"))
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--workers",
                "1",
            ])
            .env("DATABASE_URL", database)
            .env("BETADATA_POOL_SIZE", "2")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start betadata serve");
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok()
                && server.request("GET", "/health", None, &[]).0 == 200
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server on port {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One HTTP/1.1 request on a new connection: the status, the header block and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = body.unwrap_or_default();
        request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let response = String::from_utf8(response).expect("UTF-8");
        let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status");
        (status, head.to_owned(), body.to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
