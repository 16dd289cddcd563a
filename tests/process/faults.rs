//! Faults the served binary survives: PostgreSQL restarted under load (503 at once while it is
//! down, 200 again without a restart of betadata, no acknowledged write lost), and SQLite's
//! write lock held by another connection (writes wait for it; past the busy timeout, 503).

use crate::process;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use process::{PgCluster, Response, Server, create_token, percentile, request, wait_until};

/// What one request of the load got.
#[derive(Debug, Clone)]
struct Sample {
    /// When it was sent, from the start of the load.
    sent: Duration,
    latency: Duration,
    write: bool,
    /// `None`: no answer (refused, cut, or no answer within the client timeout).
    status: Option<u16>,
    error: String,
    problem_json: bool,
    retry_after: bool,
    /// The observation written, for a write.
    observation: Option<(NaiveDate, f64)>,
}

impl Sample {
    fn ended(&self) -> Duration {
        self.sent + self.latency
    }
}

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date") + chrono::Days::new(n)
}

fn observation_body(date: NaiveDate, value: f64) -> String {
    serde_json::json!({"date": date.to_string(), "value": value}).to_string()
}

/// The id of a metric of the seeded database.
fn a_metric(addr: SocketAddr) -> String {
    let reply = request(addr, "GET", "/api/v1/metrics?page_size=1", None, None).expect("metrics");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"][0]["id"]
        .as_str()
        .expect("a metric id")
        .to_owned()
}

fn post_observation(
    addr: SocketAddr,
    token: &str,
    metric: &str,
    date: NaiveDate,
    value: f64,
) -> std::io::Result<Response> {
    request(
        addr,
        "POST",
        &format!("/api/v1/metrics/{metric}/observations"),
        Some(token),
        Some(&observation_body(date, value)),
    )
}

/// Sends reads and writes from `threads` threads until `stop`, recording every answer.
fn drive_load(
    addr: SocketAddr,
    token: &str,
    metric: &str,
    threads: u64,
    start: Instant,
    stop: &Arc<AtomicBool>,
    samples: &Arc<Mutex<Vec<Sample>>>,
) -> Vec<thread::JoinHandle<()>> {
    (0..threads)
        .map(|t| {
            let (token, metric) = (token.to_owned(), metric.to_owned());
            let (stop, samples) = (Arc::clone(stop), Arc::clone(samples));
            thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let write = i % 2 == 1;
                    let observation =
                        write.then(|| (day(t * 20_000 + i), (t * 1_000_000 + i) as f64));
                    let sent = start.elapsed();
                    let outcome = match observation {
                        Some((date, value)) => post_observation(addr, &token, &metric, date, value),
                        None => request(addr, "GET", "/api/v1/startups?page_size=5", None, None),
                    };
                    let latency = start.elapsed() - sent;
                    let sample = match outcome {
                        Ok(reply) => Sample {
                            sent,
                            latency,
                            write,
                            status: Some(reply.status),
                            error: if reply.status == 200 {
                                String::new()
                            } else {
                                reply.text()
                            },
                            problem_json: reply.header("content-type")
                                == Some("application/problem+json"),
                            retry_after: reply.header("retry-after").is_some(),
                            observation,
                        },
                        Err(error) => Sample {
                            sent,
                            latency,
                            write,
                            status: None,
                            error: error.to_string(),
                            problem_json: false,
                            retry_after: false,
                            observation,
                        },
                    };
                    samples.lock().expect("samples").push(sample);
                    i += 1;
                    // A little room for the other processes on a small machine.
                    thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect()
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

#[test]
fn postgres_restarted_under_load_fails_fast_and_recovers() {
    let Some(pg) = PgCluster::start_new() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = pg.url();
    let token = create_token(&url, "load", "admin");
    let server = Server::start(
        &url,
        dir.path(),
        &[
            ("BETADATA_WRITE_RATE", "1000000"),
            ("BETADATA_POOL_SIZE", "4"),
        ],
    );
    let addr = server.addr;
    let metric = a_metric(addr);

    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let count = |pred: &dyn Fn(&Sample) -> bool| {
        samples
            .lock()
            .expect("samples")
            .iter()
            .filter(|s| pred(s))
            .count()
    };
    let workers = drive_load(addr, &token, &metric, 4, start, &stop, &samples);

    // Healthy: a second of load, at least 20 answers.
    wait_until(Duration::from_secs(60), "answers before the stop", || {
        start.elapsed() > Duration::from_secs(1) && count(&|_| true) >= 20
    });
    let stopping = start.elapsed();
    pg.stop_fast();
    let down = start.elapsed();
    // Down: at least two seconds and 40 answers sent after the server went away.
    wait_until(
        Duration::from_secs(60),
        "answers while PostgreSQL is down",
        || start.elapsed() > down + Duration::from_secs(2) && count(&|s| s.sent > down) >= 40,
    );
    let starting = start.elapsed();
    pg.start();
    let up = start.elapsed();
    wait_until(
        Duration::from_secs(30),
        "a 200 after PostgreSQL restarted",
        || count(&|s| s.sent >= up && s.status == Some(200)) > 0,
    );
    let first_ok = samples
        .lock()
        .expect("samples")
        .iter()
        .filter(|s| s.sent >= up && s.status == Some(200))
        .map(Sample::ended)
        .min()
        .expect("a 200");
    // r2d2 retries a failed connection at least every 2.5 s (half the connection timeout).
    let recovery = first_ok.saturating_sub(up);
    assert!(
        recovery < Duration::from_secs(10),
        "recovered after {recovery:?}"
    );
    // Recovered: two more seconds of load.
    let settled = first_ok + Duration::from_secs(1);
    wait_until(Duration::from_secs(60), "answers after recovery", || {
        start.elapsed() > settled + Duration::from_secs(1) && count(&|s| s.sent > settled) >= 20
    });
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("a load thread");
    }
    let samples = samples.lock().expect("samples").clone();

    // Never a hang, a cut connection or a 500: a 200, or a 503 problem with Retry-After.
    for sample in &samples {
        match sample.status {
            Some(200) => {}
            Some(503) => {
                assert!(sample.problem_json && sample.retry_after, "{sample:?}");
                for secret in ["SELECT", "postgres", "127.0.0.1", "connection to server"] {
                    assert!(
                        !sample.error.contains(secret),
                        "leaks `{secret}`: {sample:?}"
                    );
                }
            }
            _ => panic!("neither a 200 nor a 503: {sample:?}\n{}", server.log()),
        }
    }
    let before: Vec<_> = samples.iter().filter(|s| s.ended() < stopping).collect();
    assert!(
        before.iter().all(|s| s.status == Some(200)),
        "all answered before the stop"
    );
    // While it was down, every answer was a 503, and came at once.
    let mut while_down: Vec<Duration> = samples
        .iter()
        .filter(|s| s.sent > down && s.ended() < starting)
        .inspect(|s| assert_eq!(s.status, Some(503), "{s:?}"))
        .map(|s| s.latency)
        .collect();
    assert!(
        while_down.len() >= 20,
        "{} answers while down",
        while_down.len()
    );
    let (p50, p99, max) = (
        percentile(&mut while_down, 50.0),
        percentile(&mut while_down, 99.0),
        percentile(&mut while_down, 100.0),
    );
    // The pool waits up to 5 s for a connection; an outage is answered well before that.
    assert!(max < Duration::from_millis(2500), "a 503 took {max:?}");
    let after: Vec<_> = samples.iter().filter(|s| s.sent > settled).collect();
    assert!(
        after.iter().all(|s| s.status == Some(200)),
        "all 200 once recovered: {:?}",
        after.iter().find(|s| s.status != Some(200))
    );

    // Every acknowledged write is stored.
    let mut conn = PgConnection::establish(&url).expect("connect to the restarted cluster");
    use betadata::db::schema::observations::dsl as o;
    let stored: HashSet<(NaiveDate, String)> = o::observations
        .filter(o::metric_id.eq(&metric))
        .select((o::date, o::value))
        .load::<(NaiveDate, f64)>(&mut conn)
        .expect("read the observations")
        .into_iter()
        .map(|(d, v)| (d, v.to_string()))
        .collect();
    let acknowledged: Vec<_> = samples
        .iter()
        .filter(|s| s.write && s.status == Some(200))
        .filter_map(|s| s.observation)
        .collect();
    for (date, value) in &acknowledged {
        assert!(
            stored.contains(&(*date, value.to_string())),
            "acknowledged write {date} = {value} is missing"
        );
    }
    let slowest = samples
        .iter()
        .filter(|s| s.sent > down && s.ended() < starting)
        .max_by_key(|s| s.latency)
        .map(|s| s.sent - down)
        .unwrap_or_default();
    let refused_writes = samples
        .iter()
        .filter(|s| s.write && s.status == Some(503))
        .count();
    eprintln!(
        "postgres restart: {} requests ({} acknowledged writes, all stored; {} writes refused \
         503); stop took {}, start took {}; while down {} answers, 503 in p50 {} p99 {} max {} \
         (the slowest sent {} after the stop); first 200 {} after the cluster accepted \
         connections again",
        samples.len(),
        acknowledged.len(),
        refused_writes,
        seconds(down - stopping),
        seconds(up - starting),
        while_down.len(),
        seconds(p50),
        seconds(p99),
        seconds(max),
        seconds(slowest),
        seconds(recovery),
    );
    assert!(
        server.log().contains("database reachable again"),
        "the recovery is logged"
    );
}

/// A served SQLite database, a token, a metric, and the token's first use done (so that
/// recording its use does not wait for the lock too).
struct SqliteSetup {
    _dir: tempfile::TempDir,
    path: String,
    server: Server,
    token: String,
    metric: String,
}

fn sqlite_setup() -> SqliteSetup {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("betadata.db").display().to_string();
    let token = create_token(&path, "writer", "admin");
    let server = Server::start(&path, dir.path(), &[("BETADATA_WRITE_RATE", "1000000")]);
    let metric = a_metric(server.addr);
    let warm = post_observation(server.addr, &token, &metric, day(0), 0.0).expect("a write");
    assert_eq!(warm.status, 200, "{}", warm.text());
    SqliteSetup {
        _dir: dir,
        path,
        server,
        token,
        metric,
    }
}

/// Takes SQLite's write lock on `path`, as another program's writing transaction would.
fn hold_write_lock(path: &str) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(path).expect("open the database");
    conn.batch_execute("PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE")
        .expect("take the write lock");
    conn
}

/// Sends one write per day of `days` at once; returns their handles.
fn concurrent_writes(
    setup: &SqliteSetup,
    days: std::ops::Range<u64>,
    answered: &Arc<AtomicUsize>,
) -> Vec<thread::JoinHandle<(std::io::Result<Response>, Instant)>> {
    days.map(|n| {
        let (addr, token, metric) = (setup.server.addr, setup.token.clone(), setup.metric.clone());
        let answered = Arc::clone(answered);
        thread::spawn(move || {
            let reply = post_observation(addr, &token, &metric, day(n), n as f64);
            answered.fetch_add(1, Ordering::SeqCst);
            (reply, Instant::now())
        })
    })
    .collect()
}

fn stored_days(path: &str, metric: &str) -> HashSet<NaiveDate> {
    use betadata::db::schema::observations::dsl as o;
    let mut conn = SqliteConnection::establish(path).expect("open the database");
    o::observations
        .filter(o::metric_id.eq(metric))
        .select(o::date)
        .load(&mut conn)
        .expect("read observations")
        .into_iter()
        .collect()
}

#[test]
fn sqlite_writes_wait_for_a_lock_held_briefly() {
    let setup = sqlite_setup();
    let mut lock = hold_write_lock(&setup.path);
    let locked = Instant::now();
    let answered = Arc::new(AtomicUsize::new(0));
    let writers = concurrent_writes(&setup, 1..5, &answered);
    // Readers are not blocked by a writer (WAL).
    let read = request(
        setup.server.addr,
        "GET",
        "/api/v1/startups?page_size=3",
        None,
        None,
    )
    .expect("a read");
    assert_eq!(read.status, 200, "a read while the lock is held");
    // Hold the lock for 1.5 s, well within the 5 s busy timeout: nobody may answer meanwhile.
    thread::sleep(Duration::from_millis(1500).saturating_sub(locked.elapsed()));
    assert_eq!(
        answered.load(Ordering::SeqCst),
        0,
        "a write answered while locked"
    );
    lock.batch_execute("ROLLBACK").expect("release the lock");
    let released = Instant::now();
    for writer in writers {
        let (reply, at) = writer.join().expect("a writer");
        let reply = reply.expect("an answer");
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(at >= released, "answered before the lock was released");
    }
    let waited = released - locked;
    let days = stored_days(&setup.path, &setup.metric);
    assert!(
        (1..5).all(|n| days.contains(&day(n))),
        "every write is stored"
    );
    eprintln!(
        "sqlite busy: 4 concurrent writes waited {} for the lock, then all succeeded within {}",
        seconds(waited),
        seconds(released.elapsed())
    );
}

#[test]
fn sqlite_writes_locked_past_the_busy_timeout_get_503() {
    let setup = sqlite_setup();
    let mut lock = hold_write_lock(&setup.path);
    let locked = Instant::now();
    let answered = Arc::new(AtomicUsize::new(0));
    let writers = concurrent_writes(&setup, 10..13, &answered);
    // The lock outlives the writers' patience: hold it until each has answered.
    wait_until(Duration::from_secs(60), "answers while locked", || {
        answered.load(Ordering::SeqCst) == 3
    });
    let mut latencies = Vec::new();
    for writer in writers {
        let (reply, at) = writer.join().expect("a writer");
        let reply = reply.expect("an answer, not a hang");
        assert_eq!(reply.status, 503, "{}", reply.text());
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
        assert!(reply.header("retry-after").is_some(), "Retry-After");
        let problem = reply.json();
        assert_eq!(problem["type"], "/problems/busy");
        assert!(
            !reply.text().contains("locked"),
            "no internals: {}",
            reply.text()
        );
        let waited = at - locked;
        assert!(
            waited >= Duration::from_millis(4500),
            "gave up after {waited:?}"
        );
        latencies.push(waited);
    }
    lock.batch_execute("ROLLBACK").expect("release the lock");
    let days = stored_days(&setup.path, &setup.metric);
    assert!(
        (10..13).all(|n| !days.contains(&day(n))),
        "a refused write is not stored"
    );
    // Once the lock is gone, the same writes succeed.
    for n in 10..13 {
        let reply = post_observation(setup.server.addr, &setup.token, &setup.metric, day(n), 1.0)
            .expect("a write");
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    eprintln!(
        "sqlite busy past the timeout: 3 writes answered 503 after {} to {}",
        seconds(*latencies.iter().min().expect("latencies")),
        seconds(*latencies.iter().max().expect("latencies"))
    );
}
