//! `kill -9` never leaves a database half-written: an import of a content tree, and a batch of
//! observations written by the server, are killed at several points in time; each time the
//! database holds the whole state before or the whole state after, never a part of it. On
//! SQLite, `PRAGMA integrity_check` must also say `ok`.

use crate::common;
use crate::process;

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use betadata::db::{self, DatabaseUrl};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use process::{Server, betadata, create_token, request, run_ok};

/// A database for one round, and what keeps it alive.
struct Target {
    url: String,
    backend: &'static str,
    /// The `application_name` of this target's PostgreSQL sessions, so that
    /// `pg_stat_activity` tells their transactions apart from those of other tests.
    application: &'static str,
    _keep: Keep,
}

/// Dropped with its target: the folder is deleted, the schema dropped.
enum Keep {
    Folder(#[expect(dead_code, reason = "held to be dropped")] tempfile::TempDir),
    Schema(#[expect(dead_code, reason = "held to be dropped")] common::TestDb),
}

impl Target {
    /// A fresh database of `backend`; `application` names its PostgreSQL sessions.
    fn new(backend: &str, application: &'static str) -> Target {
        if backend == "sqlite" {
            let dir = tempfile::tempdir().expect("a temporary folder");
            return Target {
                url: dir.path().join("betadata.db").display().to_string(),
                backend: "sqlite",
                application,
                _keep: Keep::Folder(dir),
            };
        }
        let db = common::TestDb::postgres();
        let DatabaseUrl::Postgres(url) = &db.url else {
            unreachable!("a PostgreSQL test database")
        };
        Target {
            url: format!("{url}&application_name={application}"),
            backend: "postgres",
            application,
            _keep: Keep::Schema(db),
        }
    }

    fn connection(&self) -> db::PooledConnection {
        db::connect(&DatabaseUrl::parse(&self.url), 1)
            .expect("open the database")
            .get()
            .expect("a connection")
    }

    /// Watches whether a process is inside a write transaction on this database.
    fn probe(&self) -> Probe {
        match self.backend {
            "sqlite" => Probe::Sqlite(SqliteConnection::establish(&self.url).expect("open")),
            _ => {
                let base = std::env::var(common::PG_URL_VAR).expect("a test database");
                Probe::Postgres(
                    PgConnection::establish(&base).expect("connect"),
                    self.application,
                )
            }
        }
    }

    /// SQLite's own check of the file; always `ok` on PostgreSQL.
    fn integrity(&self) -> String {
        if self.backend != "sqlite" {
            return "ok".into();
        }
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut conn = SqliteConnection::establish(&self.url).expect("open");
        // The last connection of the snapshot just taken may still be checkpointing the WAL
        // as it closes: wait for it, as the server's connections do, rather than fail at once.
        conn.batch_execute("PRAGMA busy_timeout = 10000")
            .expect("busy_timeout");
        diesel::sql_query("PRAGMA integrity_check")
            .load::<Row>(&mut conn)
            .expect("integrity_check")
            .into_iter()
            .map(|r| r.integrity_check)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

enum Probe {
    Sqlite(SqliteConnection),
    Postgres(PgConnection, &'static str),
}

impl Probe {
    /// Whether another connection holds a transaction that has written: on SQLite, the write
    /// lock cannot be taken; on PostgreSQL, a session of the target's application has a
    /// transaction id.
    fn writing(&mut self) -> bool {
        match self {
            Probe::Sqlite(conn) => match conn.batch_execute("BEGIN IMMEDIATE") {
                Ok(()) => {
                    conn.batch_execute("ROLLBACK").expect("rollback");
                    false
                }
                Err(error) => {
                    assert!(error.to_string().contains("locked"), "{error}");
                    true
                }
            },
            Probe::Postgres(conn, application) => {
                let query = format!(
                    "(SELECT count(*) FROM pg_stat_activity WHERE application_name = \
                     '{application}' AND backend_xid IS NOT NULL)"
                );
                diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&query))
                    .get_result::<i64>(conn)
                    .expect("read pg_stat_activity")
                    > 0
            }
        }
    }
}

/// The counts an import changes, and the data revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Snapshot {
    organisations: i64,
    incubators: i64,
    startups: i64,
    startup_phases: i64,
    changes: i64,
    observations: i64,
    revision: i64,
}

fn snapshot(target: &Target) -> Snapshot {
    use betadata::db::schema::*;
    let mut conn = target.connection();
    let conn = &mut *conn;
    let count = |n: QueryResult<i64>| n.expect("a count");
    Snapshot {
        organisations: count(organisations::table.count().get_result(conn)),
        incubators: count(incubators::table.count().get_result(conn)),
        startups: count(startups::table.count().get_result(conn)),
        startup_phases: count(startup_phases::table.count().get_result(conn)),
        changes: count(changes::table.count().get_result(conn)),
        observations: count(observations::table.count().get_result(conn)),
        revision: data_revision::table
            .select(data_revision::revision)
            .first(conn)
            .unwrap_or(0),
    }
}

/// Writes a beta.gouv.fr content tree of `startups` startups (and 10 incubators, 20
/// organisations); `version` changes every startup's mission.
fn write_tree(root: &Path, startups: usize, version: u32) {
    for folder in ["_startups", "_incubators", "_organisations"] {
        std::fs::create_dir_all(root.join(folder)).expect("a folder");
    }
    for o in 1..=20 {
        std::fs::write(
            root.join(format!("_organisations/org-{o:02}.md")),
            format!("---\nname: Organisation {o}\nacronym: ORG{o}\ntype: operateur\n---\n"),
        )
        .expect("write an organisation");
    }
    for i in 1..=10 {
        std::fs::write(
            root.join(format!("_incubators/incub-{i:02}.md")),
            format!(
                "---\ntitle: Incubateur {i}\nowner: /organisations/org-{i:02}\n\
                 website: https://incub-{i}.example.gouv.fr\n---\nUn incubateur.\n"
            ),
        )
        .expect("write an incubator");
    }
    for s in 1..=startups {
        let (year, month) = (2014 + s % 10, 1 + s % 12);
        let lines = [
            "---".to_owned(),
            format!("title: Startup {s}"),
            format!("mission: Simplifier la démarche {s} (version {version})"),
            format!("incubator: incub-{:02}", 1 + s % 10),
            "sponsors:".to_owned(),
            format!("  - /organisations/org-{:02}", 1 + s % 20),
            "phases:".to_owned(),
            "  - name: investigation".to_owned(),
            format!("    start: {year}-{month:02}-01"),
            format!("    end: {year}-{month:02}-28"),
            "  - name: construction".to_owned(),
            format!("    start: {}-{month:02}-01", year + 1),
            "usertypes:".to_owned(),
            "  - particulier".to_owned(),
            "thematiques:".to_owned(),
            "  - Santé".to_owned(),
            "---".to_owned(),
            "## Le problème".to_owned(),
            String::new(),
            "Attendre.".to_owned(),
        ];
        std::fs::write(
            root.join(format!("_startups/startup-{s:06}.md")),
            lines.join("\n") + "\n",
        )
        .expect("write a startup");
    }
}

/// When to kill.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// This long after the process started, whatever it is doing.
    Started(Duration),
    /// This long after its write transaction was first seen.
    Writing(Duration),
}

/// What a kill found.
#[derive(Debug)]
struct Kill {
    at: KillAt,
    /// Whether the write transaction was open just before the kill.
    writing: bool,
    /// Whether the process had already exited (then nothing was killed).
    exited: bool,
}

/// Waits as `at` says, then kills `child` with SIGKILL, watching the transaction with `probe`.
fn kill_when(child: &mut std::process::Child, at: KillAt, probe: &mut Probe) -> Kill {
    let started = Instant::now();
    let exited = |child: &mut std::process::Child| matches!(child.try_wait(), Ok(Some(_)));
    match at {
        KillAt::Started(after) => {
            while started.elapsed() < after && !exited(child) {
                thread::sleep(Duration::from_millis(2));
            }
        }
        KillAt::Writing(after) => {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !probe.writing() && !exited(child) {
                assert!(Instant::now() < deadline, "no write transaction seen");
                thread::sleep(Duration::from_millis(5));
            }
            thread::sleep(after);
        }
    }
    let writing = probe.writing();
    let exited = exited(child);
    let _ = child.kill();
    let _ = child.wait();
    Kill {
        at,
        writing,
        exited,
    }
}

/// The state a kill left, against the states before and after.
fn outcome(found: Snapshot, before: Snapshot, after: Snapshot) -> &'static str {
    if found == before {
        "before"
    } else if found == after {
        "after"
    } else {
        panic!("half-written: {found:?}\nbefore: {before:?}\nafter: {after:?}")
    }
}

/// Startups of the tree imported over 50 older ones; enough for a transaction of a few seconds
/// in a debug build.
const NEW_STARTUPS: usize = 600;

fn import_killed_at_any_point_is_all_or_nothing(backend: &str) {
    let trees = tempfile::tempdir().expect("a temporary folder");
    let (old, new) = (trees.path().join("old"), trees.path().join("new"));
    write_tree(&old, 50, 1);
    write_tree(&new, NEW_STARTUPS, 2);
    let import = |target: &Target, tree: &Path| {
        betadata(&target.url)
            .env("RUST_LOG", "warn")
            .args(["import", &tree.display().to_string()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start an import")
    };
    let prepared = || {
        let target = Target::new(backend, "betadata-kill-import");
        run_ok(&target.url, &["import", &old.display().to_string()]);
        let before = snapshot(&target);
        (target, before)
    };

    // A whole import first: the state after, and how long the import and its transaction take.
    let (target, before) = prepared();
    let mut probe = target.probe();
    let started = Instant::now();
    let mut child = import(&target, &new);
    let mut seen_writing = None;
    while !matches!(child.try_wait(), Ok(Some(_))) {
        if seen_writing.is_none() && probe.writing() {
            seen_writing = Some(started.elapsed());
        }
        thread::sleep(Duration::from_millis(5));
    }
    assert!(
        child.wait().expect("the import").success(),
        "the whole import"
    );
    let total = started.elapsed();
    let writing_from = seen_writing.expect("the import's transaction was seen");
    let transaction = total - writing_from;
    let after = snapshot(&target);
    assert_eq!(after.startups, NEW_STARTUPS as i64, "{after:?}");
    assert_ne!(before, after);
    drop((probe, target));

    let fraction = |f: f64| transaction.mul_f64(f);
    let schedule = [
        KillAt::Started(Duration::ZERO),
        KillAt::Writing(Duration::ZERO),
        KillAt::Writing(fraction(0.3)),
        KillAt::Writing(fraction(0.6)),
        KillAt::Writing(fraction(0.9)),
        // About when it commits: either outcome may come.
        KillAt::Writing(fraction(1.0)),
    ];
    let mut kills = Vec::new();
    for (round, at) in schedule.into_iter().enumerate() {
        let (target, found_before) = prepared();
        assert_eq!(
            found_before, before,
            "each round starts from the same state"
        );
        let mut probe = target.probe();
        let mut child = import(&target, &new);
        let kill = kill_when(&mut child, at, &mut probe);
        drop(probe);
        let found = snapshot(&target);
        let state = outcome(found, before, after);
        assert_eq!(
            target.integrity(),
            "ok",
            "{backend}: integrity after {kill:?}"
        );
        if round == 3 {
            // The database takes the import again after a kill.
            run_ok(&target.url, &["import", &new.display().to_string()]);
            let again = snapshot(&target);
            assert_eq!(
                (again.startups, again.startup_phases, again.changes),
                (after.startups, after.startup_phases, after.changes),
                "{backend}: the import run again after a kill"
            );
        }
        kills.push((kill, state));
    }
    let during = kills.iter().filter(|(k, _)| k.writing && !k.exited).count();
    assert!(
        during >= 2,
        "{backend}: too few kills landed inside the transaction: {kills:?}"
    );
    eprintln!(
        "{backend} import of {NEW_STARTUPS} startups over 50: whole in {:.2} s (transaction {:.2} s); {} \
         kills: {}",
        total.as_secs_f64(),
        transaction.as_secs_f64(),
        kills.len(),
        kills
            .iter()
            .map(|(k, state)| format!(
                "{:?} -> {state}{}",
                k.at,
                if k.exited {
                    " (had exited)"
                } else if k.writing {
                    " (inside the transaction)"
                } else {
                    ""
                }
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// Observations of one batch: `size` consecutive days from day `first`.
fn batch(first: u64, size: u64) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");
    let items: Vec<_> = (first..first + size)
        .map(|n| {
            serde_json::json!({
                "date": (start + chrono::Days::new(n)).to_string(),
                "value": n as f64,
                "note": "written by a batch that may be killed",
            })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

fn batch_killed_while_writing_is_all_or_nothing(backend: &str) {
    const SIZE: u64 = 3000;
    let target = Target::new(backend, "betadata-kill-batch");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let token = create_token(&target.url, "batch", "admin");
    let env = [("BETADATA_WRITE_RATE", "1000000")];
    let mut server = Server::start(&target.url, dir.path(), &env);
    let reply = request(
        server.addr,
        "GET",
        "/api/v1/metrics?page_size=1",
        None,
        None,
    )
    .expect("metrics");
    let metric = reply.json()["data"][0]["id"]
        .as_str()
        .expect("a metric")
        .to_owned();
    let path = format!("/api/v1/metrics/{metric}/observations");

    // One whole batch: how long its transaction takes.
    let mut probe = target.probe();
    let before = snapshot(&target);
    let mut addr = server.addr;
    let (token2, path2) = (token.clone(), path.clone());
    let started = Instant::now();
    let client =
        thread::spawn(move || request(addr, "POST", &path2, Some(&token2), Some(&batch(0, SIZE))));
    let mut seen_writing = None;
    while !client.is_finished() {
        if seen_writing.is_none() && probe.writing() {
            seen_writing = Some(started.elapsed());
        }
        thread::sleep(Duration::from_millis(5));
    }
    let reply = client.join().expect("a client").expect("an answer");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let transaction = started.elapsed() - seen_writing.expect("the batch's transaction was seen");
    let after = snapshot(&target);
    assert_eq!(after.observations - before.observations, SIZE as i64);
    let per_batch = after.changes - before.changes;
    // One change per observation, and one for the metric whose summary the
    // batch moved (the feed carries derived changes).
    assert_eq!(
        per_batch,
        SIZE as i64 + 1,
        "one change per observation and one for its metric"
    );

    let schedule = [0.0, 0.3, 0.6, 0.9];
    let mut outcomes = Vec::new();
    for (round, f) in schedule.into_iter().enumerate() {
        let before = snapshot(&target);
        let mut expected_after = before;
        expected_after.observations += SIZE as i64;
        expected_after.changes += per_batch;
        expected_after.revision += 1;
        let first = (round as u64 + 1) * 10_000;
        let (token2, path2) = (token.clone(), path.clone());
        let client = thread::spawn(move || {
            request(
                addr,
                "POST",
                &path2,
                Some(&token2),
                Some(&batch(first, SIZE)),
            )
        });
        let kill = kill_when(
            &mut server.child,
            KillAt::Writing(transaction.mul_f64(f)),
            &mut probe,
        );
        let answer = client.join().expect("a client");
        let found = snapshot(&target);
        let state = outcome(found, before, expected_after);
        if let Ok(reply) = &answer
            && reply.status == 200
        {
            assert_eq!(state, "after", "an acknowledged batch is stored");
        }
        assert_eq!(
            target.integrity(),
            "ok",
            "{backend}: integrity after {kill:?}"
        );
        outcomes.push((kill, state));
        server = Server::start(&target.url, dir.path(), &env);
        addr = server.addr;
    }
    drop(probe);
    let during = outcomes
        .iter()
        .filter(|(k, _)| k.writing && !k.exited)
        .count();
    assert!(
        during >= 2,
        "{backend}: too few kills inside the transaction: {outcomes:?}"
    );
    eprintln!(
        "{backend} batch of {SIZE} observations: transaction {:.2} s; {} kills: {}",
        transaction.as_secs_f64(),
        outcomes.len(),
        outcomes
            .iter()
            .map(|(k, state)| format!(
                "{:?} -> {state}{}",
                k.at,
                if k.writing {
                    " (inside the transaction)"
                } else {
                    ""
                }
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

#[test]
fn import_killed_sqlite() {
    import_killed_at_any_point_is_all_or_nothing("sqlite");
}

#[test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
fn import_killed_postgres() {
    import_killed_at_any_point_is_all_or_nothing("postgres");
}

#[test]
fn batch_killed_sqlite() {
    batch_killed_while_writing_is_all_or_nothing("sqlite");
}

#[test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
fn batch_killed_postgres() {
    batch_killed_while_writing_is_all_or_nothing("postgres");
}
