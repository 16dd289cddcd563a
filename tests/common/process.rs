//! Test support for the tests that run the real binary: a served `betadata` process, a plain
//! HTTP/1.1 client over `TcpStream`, tokens made by the command line, and a private PostgreSQL
//! cluster that a test may stop and start.
#![allow(dead_code)] // each test file uses a different part of this module

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `betadata` binary, run from the repository with `RUST_LOG=info`.
pub fn betadata(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_betadata"));
    command
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "info")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Runs `betadata args…` on `database` and asserts it succeeded.
pub fn run_ok(database: &str, args: &[&str]) -> Output {
    let output = betadata(database)
        .args(args)
        .output()
        .expect("run betadata");
    assert!(
        output.status.success(),
        "betadata {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Creates a token with `betadata token create` and returns it.
pub fn create_token(database: &str, name: &str, scope: &str) -> String {
    let output = run_ok(
        database,
        &["token", "create", "--name", name, "--scope", scope],
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8 token")
        .trim()
        .to_owned()
}

/// A port nothing listens on (as far as can be known).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Polls `done` every 20 ms until it holds, panicking with `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `betadata serve` process; killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Serves `database` on a free port, its log in `dir`, and waits until `/health` answers.
    pub fn start(database: &str, dir: &Path, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("an address");
        let log = dir.join(format!("server-{port}.log"));
        let file = std::fs::File::create(&log).expect("a log file");
        let mut command = betadata(database);
        command
            .args(["serve", "--bind", &addr.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(file);
        let child = command.spawn().expect("start betadata serve");
        let mut server = Server { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("betadata serve exited with {status}:\n{}", server.log());
            }
            if let Ok(reply) = request(addr, "GET", "/health", None, None)
                && reply.status == 200
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer /health:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        signal(self.pid(), "TERM");
    }

    /// SIGKILL, then reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The exit status, once the process exits, within `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends `kill -s NAME` to `pid`.
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args(["-s", name, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -s {name} {pid}");
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// How long a request may take before the client gives up: far beyond any answer the tests
/// expect, so that a hang is reported as one.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the answer whole.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, CLIENT_TIMEOUT)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    send_head(&mut stream, method, path, token, body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// Writes a request with `Connection: close`.
pub fn send_head(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> io::Result<()> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some(body) = body {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}

/// Parses a whole HTTP/1.1 response: its head with `httparse`, a chunked body decoded.
pub fn parse_response(raw: &[u8]) -> io::Result<Response> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    let head_len = match parsed.parse(raw) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Err(invalid("the answer ended in its head")),
        Err(error) => return Err(invalid(&format!("not HTTP: {error}"))),
    };
    let status = parsed.code.ok_or_else(|| invalid("no status"))?;
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let rest = &raw[head_len..];
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest).ok_or_else(|| invalid("a chunked body cut short"))?
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// The data of a chunked body; `None` unless it ends with its last, empty chunk.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// Where PostgreSQL's server programs are: `BETADATA_PG_BIN`, else `pg_config --bindir`, else
/// the newest of Debian's `/usr/lib/postgresql/<version>/bin`.
pub fn pg_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("BETADATA_PG_BIN") {
        return PathBuf::from(bin);
    }
    let has_initdb = |bin: &Path| bin.join("initdb").exists();
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let bin = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && has_initdb(&bin) {
            return bin;
        }
    }
    let versions = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten();
    versions
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_initdb(&bin).then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

/// A PostgreSQL cluster of the test's own, in a temporary folder, on a free port; it may be
/// stopped and started at will. Run as the `postgres` user when the test runs as root
/// (PostgreSQL refuses root). Stopped and deleted when dropped.
pub struct PgCluster {
    dir: tempfile::TempDir,
    pub port: u16,
    as_postgres: bool,
}

impl PgCluster {
    /// A new cluster, started; `None`, saying why, when PostgreSQL's programs are missing.
    pub fn start_new() -> Option<PgCluster> {
        let bin = pg_bin();
        if !bin.join("initdb").exists() || !bin.join("pg_ctl").exists() {
            eprintln!(
                "skipped: no PostgreSQL server programs in {} (set BETADATA_PG_BIN to the folder \
                 holding initdb and pg_ctl)",
                bin.display()
            );
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("betadata-pg-")
            .tempdir()
            .expect("a temporary folder");
        let as_postgres = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:", &dir.path().display().to_string()])
                .status()
                .expect("run chown");
            assert!(status.success(), "chown the cluster's folder to postgres");
        }
        let cluster = PgCluster {
            dir,
            port: free_port(),
            as_postgres,
        };
        cluster.pg(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs a PostgreSQL program, as `postgres` when needed, and asserts it succeeded.
    fn pg(&self, program: &str, args: &[&str]) {
        let path = pg_bin().join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run a PostgreSQL program");
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}\nserver log:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                "120",
                "start",
            ],
        );
    }

    /// Stops the server in fast mode (sessions are cut, no waiting for clients) and waits
    /// until it is down.
    pub fn stop_fast(&self) {
        self.pg(
            "pg_ctl",
            &["-D", &self.data(), "-m", "fast", "-w", "-t", "120", "stop"],
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let path = pg_bin().join("pg_ctl");
        let data = self.data();
        let args = ["-D", data.as_str(), "-m", "immediate", "-w", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&path)
                .args(args)
                .current_dir(self.dir.path())
                .output()
        } else {
            Command::new(&path).args(args).output()
        };
    }
}

/// The `p`th percentile of `values` (sorted here), in the unit given.
pub fn percentile(values: &mut [Duration], p: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort();
    let rank = ((values.len() - 1) as f64 * p / 100.0).round() as usize;
    values[rank]
}
