//! Graceful shutdown: SIGTERM while large CSV exports are being read slowly. Each export
//! completes in full, new connections are refused at once, and the process then exits with
//! status 0 within its shutdown timeout.

use crate::common;
use crate::process;

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use process::{Server, parse_response, request, run_ok, send_head, wait_until};

/// Bytes a slow reader takes at a time, and how long it waits between reads: at most about
/// 1.6 MB/s, so that an export of a few megabytes outlasts the signal even from a fast server.
const READ_SIZE: usize = 16 * 1024;
const READ_PAUSE: Duration = Duration::from_millis(10);

/// Reads the CSV export of every observation slowly; says on `started` when the first bytes
/// came, and returns the whole raw answer and when it ended.
fn slow_export(addr: SocketAddr, started: mpsc::Sender<()>) -> (Vec<u8>, Instant) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(process::CLIENT_TIMEOUT))
        .expect("a read timeout");
    send_head(
        &mut stream,
        "GET",
        "/api/v1/observations?format=csv",
        None,
        None,
    )
    .expect("send the request");
    let mut raw = Vec::new();
    let mut buffer = vec![0; READ_SIZE];
    let mut told = false;
    loop {
        let n = stream.read(&mut buffer).expect("read the export");
        if n == 0 {
            return (raw, Instant::now());
        }
        raw.extend_from_slice(&buffer[..n]);
        if !told {
            let _ = started.send(());
            told = true;
        }
        thread::sleep(READ_PAUSE);
    }
}

#[test]
fn sigterm_drains_in_flight_exports_then_exits_0() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("betadata.db").display().to_string();
    run_ok(
        &db,
        &["generate", "--startups", "2000", "--observations", "60000"],
    );
    let mut server = Server::start(&db, dir.path(), &[("BETADATA_SHUTDOWN_TIMEOUT", "30")]);
    let addr = server.addr;
    let total = request(addr, "GET", "/api/v1/observations?page_size=1", None, None)
        .expect("a page")
        .json()["meta"]["total"]
        .as_u64()
        .expect("meta.total");
    assert_eq!(total, 60_000);

    let (started_tx, started_rx) = mpsc::channel();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let started = started_tx.clone();
            thread::spawn(move || slow_export(addr, started))
        })
        .collect();
    for _ in 0..3 {
        started_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("every export has started");
    }
    let term = Instant::now();
    server.terminate();

    // New connections are refused while the exports are still being served.
    let mut refused = None;
    wait_until(
        Duration::from_secs(10),
        "a refused connection",
        || match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(error) if error.kind() == ErrorKind::ConnectionRefused => {
                refused = Some(term.elapsed());
                true
            }
            _ => false,
        },
    );
    let refused = refused.expect("refused");
    assert!(
        matches!(server.child.try_wait(), Ok(None)),
        "the process was still draining when connections were refused"
    );
    let unfinished = readers.iter().filter(|r| !r.is_finished()).count();
    assert!(
        unfinished > 0,
        "the exports were still in flight when connections were refused"
    );

    let mut ends = Vec::new();
    for reader in readers {
        let (raw, ended) = reader.join().expect("a reader");
        let reply = parse_response(&raw).expect("a complete HTTP answer");
        assert_eq!(reply.status, 200);
        let text = String::from_utf8(reply.body).expect("UTF-8 CSV");
        let (header, rows) = common::csv_records(&text);
        assert_eq!(
            header.first().map(String::as_str),
            Some("metric"),
            "{header:?}"
        );
        assert_eq!(
            rows.len(),
            total as usize,
            "every row of the export arrived"
        );
        ends.push(ended - term);
    }
    let status = server
        .wait_exit(Duration::from_secs(40))
        .expect("the process exits within its shutdown timeout");
    let exited = term.elapsed();
    assert!(status.success(), "exit status {status}:\n{}", server.log());
    assert!(exited < Duration::from_secs(30), "exited after {exited:?}");
    let log = server.log();
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains("in-flight requests drained in"), "{log}");
    eprintln!(
        "graceful shutdown: 3 CSV exports of {total} observations in flight; new connections \
         refused {:.3} s after SIGTERM; exports finished {:.2}–{:.2} s after it, complete; the \
         process exited 0 after {:.2} s",
        refused.as_secs_f64(),
        ends.iter().min().expect("ends").as_secs_f64(),
        ends.iter().max().expect("ends").as_secs_f64(),
        exited.as_secs_f64()
    );
}
