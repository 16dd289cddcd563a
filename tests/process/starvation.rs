//! Hostile clients cannot starve the others. On the real binary, with its response cache and
//! spool off so that every answer is rendered: eight clients ask for whole exports and never
//! read them, and eight more run the costliest search the limits of `q` allow, over and over.
//! Meanwhile `/health` and a 20-row page still answer 200 within a second, on both backends;
//! and a stalled export, read at last, is whole.

use crate::common;
use crate::process;

use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use betadata::db::DatabaseUrl;
use process::{CLIENT_TIMEOUT, Server, parse_response, request, run_ok, send_head};

/// Eight distinct words of three letters, each the beginning of words found in many
/// generated startups: the most a search may ask, all of it prefix matching.
const WORST_SEARCH: &str =
    "/api/v1/startups?q=cha%20ann%20mil%20inc%20ser%20con%20app%20ave&page_size=100";

const EXPORTS: [&str; 2] = [
    "/api/v1/observations?format=csv",
    "/api/v1/startups?format=csv",
];

/// What each round must answer within.
const LIMIT: Duration = Duration::from_secs(1);

fn hostile_clients_starve_no_one(database: &str) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    run_ok(
        database,
        &[
            "generate",
            "--startups",
            "10000",
            "--observations",
            "200000",
        ],
    );
    let server = Server::start(
        database,
        dir.path(),
        &[("BETADATA_CACHE_MIB", "0"), ("BETADATA_SPOOL_MIB", "0")],
    );
    let addr = server.addr;

    // Eight exports asked for and never read: their connections stay open.
    let stalled: Vec<TcpStream> = (0..8)
        .map(|i| {
            let mut stream = TcpStream::connect(addr).expect("connect");
            send_head(&mut stream, "GET", EXPORTS[i % 2], None, None).expect("send");
            stream
        })
        .collect();

    // Eight clients searching as hard as the limits allow, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicUsize::new(0));
    let searchers: Vec<_> = (0..8)
        .map(|_| {
            let (stop, searches) = (Arc::clone(&stop), Arc::clone(&searches));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let reply = request(addr, "GET", WORST_SEARCH, None, None).expect("a search");
                    assert!(
                        [200, 503].contains(&reply.status),
                        "a search answers, or waits its turn: {} {}",
                        reply.status,
                        reply.text()
                    );
                    searches.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(500));

    let mut slowest = Duration::ZERO;
    for round in 0..10 {
        for path in [
            "/health".to_owned(),
            format!(
                "/api/v1/startups?page_size=20&created_after=20{:02}-01-01",
                10 + round
            ),
        ] {
            let started = Instant::now();
            let reply = request(addr, "GET", &path, None, None).expect("an answer");
            let took = started.elapsed();
            assert_eq!(reply.status, 200, "{path}: {}", reply.text());
            assert!(took < LIMIT, "{path} took {took:?} under attack");
            slowest = slowest.max(took);
        }
        thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for searcher in searchers {
        searcher.join().expect("a searcher");
    }
    eprintln!(
        "slowest of /health and a 20-row page under attack: {slowest:?}; {} worst searches ran meanwhile",
        searches.load(Ordering::Relaxed)
    );
    assert!(
        searches.load(Ordering::Relaxed) >= 8,
        "the searches did run"
    );

    // A stalled export, read at last, is whole: every observation, and the header.
    let mut first = stalled.into_iter().next().expect("a stalled export");
    first
        .set_read_timeout(Some(CLIENT_TIMEOUT))
        .expect("a timeout");
    let mut raw = Vec::new();
    first.read_to_end(&mut raw).expect("read the export");
    let export = parse_response(&raw).expect("an HTTP answer");
    assert_eq!(export.status, 200);
    let rows = export.text().lines().count();
    assert_eq!(rows, 200_000 + 1, "every observation and the header row");
}

fn sqlite_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = dir.path().join("betadata.db").display().to_string();
    (dir, url)
}

#[test]
fn sqlite() {
    let (_dir, url) = sqlite_file();
    hostile_clients_starve_no_one(&url);
}

#[test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
fn postgres() {
    let db = common::TestDb::postgres();
    let DatabaseUrl::Postgres(url) = &db.url else {
        unreachable!("a PostgreSQL test database")
    };
    hostile_clients_starve_no_one(url);
}
