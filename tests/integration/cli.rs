//! The `betadata` binary: check, import, migrate, openapi, tokens and the first start, as a user
//! runs them.

use std::path::Path;
use std::process::{Command, Output};

use crate::process;

fn betadata(args: &[&str], database: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_betadata"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run betadata")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The line the seeds' impossible date is reported with, by `check`, `import` and the first
/// start: a warning naming the file, the record and the field, and what is left out.
const TUMEPLAY_DATE: &str = "warning: seeds/startups.yaml: tumeplay: phases[0].start: \
     `01-07-20219` is not a date: expected YYYY-MM-DD or DD-MM-YYYY; phase entry left out";

#[test]
fn check_reports_the_real_defects_of_the_seeds_with_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let output = betadata(&["check", "seeds"], &dir.path().join("unused.db"));
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "every record of the seeds loads, so nothing is an error: {err}"
    );
    assert!(err.contains(TUMEPLAY_DATE), "{err}");
    assert!(
        err.contains("warning: seeds/sources.yaml: 003: title: text was UTF-8 decoded twice"),
        "{err}"
    );
    assert!(
        err.contains("France Relance\u{a0}! 📈"),
        "the repair is shown: {err}"
    );
    assert!(!err.lines().any(|line| line.starts_with("error:")), "{err}");
    assert!(
        err.contains("checked 6 file(s): 0 error(s), 5 warning(s)"),
        "{err}"
    );
}

#[test]
fn the_first_start_warns_of_the_seeds_impossible_date_and_serves_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("betadata.db").display().to_string();
    let server = process::Server::start(&db, dir.path(), &[]);
    let log = server.log();
    let line = log
        .lines()
        .find(|line| line.contains("tumeplay: phases[0].start"))
        .unwrap_or_else(|| panic!("the impossible date is reported: {log}"));
    assert!(line.contains(" WARN "), "logged as a warning: {line}");
    assert!(line.ends_with(TUMEPLAY_DATE), "{line}");
    assert!(
        !log.contains(" ERROR ") && !log.contains("error:"),
        "nothing at start reads as a failure: {log}"
    );
    assert!(
        log.contains("seeded an empty database: 5 sources, 8 phases, 21 organisations, 6 incubators, 30 startups"),
        "the rest loads: {log}"
    );
    let tumeplay = process::request(
        server.addr,
        "GET",
        "/api/v1/startups/tumeplay/phases",
        None,
        None,
    )
    .expect("an answer")
    .json();
    let phases: Vec<&str> = tumeplay["data"]
        .as_array()
        .expect("the phases")
        .iter()
        .filter_map(|p| p["phase"].as_str())
        .collect();
    assert_eq!(
        phases,
        ["construction", "acceleration", "abandon"],
        "{tumeplay}"
    );
}

#[test]
fn check_accepts_clean_files_and_names_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let phases = dir.path().join("phases.yaml");
    std::fs::write(
        &phases,
        "- id: investigation\n  label: Investigation\n  order: 1\n  kind: active\n  description: Enquête.\n",
    )
    .unwrap();
    let output = betadata(
        &["check", phases.to_str().unwrap()],
        &dir.path().join("x.db"),
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let startups = dir.path().join("startups.yaml");
    std::fs::write(
        &startups,
        "- id: ok\n  name: Fine\n- id: Bad/Id\n  name: Broken\n- id: odd\n  name: Odd\n  colour: blue\n\
         - id: late\n  name: Late\n  phases:\n    - {phase: construction, start: \"2020-02-30\"}\n",
    )
    .unwrap();
    let output = betadata(
        &["check", startups.to_str().unwrap()],
        &dir.path().join("x.db"),
    );
    let err = stderr(&output);
    let path = startups.display();
    assert_eq!(output.status.code(), Some(1), "records left out: {err}");
    assert!(err.contains("Bad/Id: id: `Bad/Id` holds `/`"), "{err}");
    assert!(err.contains("odd: unknown field `colour`"), "{err}");
    assert!(
        err.contains(&format!("error: {path}: Bad/Id: id:")),
        "left out: {err}"
    );
    // `late` loads without its phase entry: what it could not keep is a warning.
    let late = |field: &str| format!("warning: {path}: late: phases[0].{field}: ");
    assert!(
        err.contains(&format!(
            "{}`construction` is not a known phase",
            late("phase")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}`2020-02-30` is not a real calendar day",
            late("start")
        )),
        "{err}"
    );
    assert!(err.contains("2 error(s), 2 warning(s)"), "{err}");

    let stray = dir.path().join("notes.txt");
    std::fs::write(&stray, "hello").unwrap();
    let output = betadata(
        &["check", stray.to_str().unwrap()],
        &dir.path().join("x.db"),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("notes.txt: not a seed file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn import_loads_the_seeds_once_and_reports_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("betadata.db");
    let output = betadata(&["migrate"], &database);
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{written} migration(s) applied")),
        "{stdout}"
    );

    let output = betadata(&["import", "seeds"], &database);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("imported 5 sources, 8 phases"), "{err}");
    assert!(err.contains("tumeplay: phases[0].start"), "{err}");

    let again = betadata(&["import", "seeds/phases.yaml"], &database);
    let err = stderr(&again);
    assert!(again.status.success(), "{err}");
    assert!(err.contains("imported 0 sources, 0 phases"), "{err}");
    assert!(
        err.contains("construction: id: the id is used twice (or already stored)"),
        "{err}"
    );
}

#[test]
fn openapi_prints_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let output = betadata(&["openapi"], &dir.path().join("unused.db"));
    assert!(output.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        printed,
        serde_json::to_value(betadata::api::openapi()).unwrap()
    );
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn token_create_prints_the_token_once_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("betadata.db");
    let output = betadata(&["import", "seeds"], &database);
    assert!(output.status.success(), "{}", stderr(&output));

    let create = |args: &[&str]| {
        let mut all = vec!["token", "create"];
        all.extend_from_slice(args);
        betadata(&all, &database)
    };
    let output = create(&["--name", "ops", "--scope", "admin"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let admin = stdout(&output);
    assert_eq!(
        admin.lines().count(),
        1,
        "the token alone on stdout: {admin}"
    );
    let admin = admin.trim_end().to_owned();
    assert!(admin.starts_with("bd_"), "{admin}");
    let err = stderr(&output);
    assert!(err.contains("only time it is shown"), "{err}");
    assert!(!err.contains(&admin), "the note does not repeat the token");

    let output = create(&[
        "--name",
        "dinum-ci",
        "--scope",
        "incubator:dinum",
        "--expires",
        "2099-12-31",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let scoped = stdout(&output).trim_end().to_owned();
    assert_ne!(scoped, admin);

    let mut stored = std::fs::read(&database).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("betadata.db-wal")) {
        stored.extend(wal);
    }
    let contains = |needle: &str| stored.windows(needle.len()).any(|w| w == needle.as_bytes());
    for token in [&admin, &scoped] {
        assert!(!contains(token), "the token is not stored");
        let hash = betadata::domain::tokens::hash(token);
        assert!(contains(&hash), "its hash is");
    }

    let output = betadata(&["token", "list"], &database);
    assert!(output.status.success(), "{}", stderr(&output));
    let list = stdout(&output);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two tokens: {list}");
    assert!(
        lines[0].starts_with("name") && lines[0].contains("last used"),
        "{list}"
    );
    assert!(
        lines[1].starts_with("dinum-ci") && lines[1].contains("incubator:dinum"),
        "{list}"
    );
    assert!(lines[1].contains("2099-12-31"), "{list}");
    assert!(
        lines[2].starts_with("ops") && lines[2].contains("never"),
        "{list}"
    );
    for token in [&admin, &scoped] {
        let hash = betadata::domain::tokens::hash(token);
        for shown in [list.as_str(), &stderr(&output)] {
            assert!(!shown.contains(token.as_str()), "no token listed: {shown}");
            assert!(!shown.contains(&hash), "no hash listed: {shown}");
            assert!(
                !shown.contains(&hash[..16]),
                "not even part of one: {shown}"
            );
        }
    }
}

#[test]
fn token_create_refuses_what_would_not_work() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("betadata.db");
    let output = betadata(&["import", "seeds"], &database);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = betadata(
        &["token", "create", "--name", "ops", "--scope", "admin"],
        &database,
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let refusals: [(&[&str], i32, &str); 6] = [
        (
            &["--name", "ops", "--scope", "incubator:dinum"],
            1,
            "a token named `ops` already exists",
        ),
        (
            &["--name", "x", "--scope", "incubator:nowhere"],
            1,
            "no incubator `nowhere` is stored",
        ),
        (
            &["--name", "x", "--scope", "admin", "--expires", "2020-01-01"],
            1,
            "the expiry date 2020-01-01 is in the past",
        ),
        (
            &["--name", "x", "--scope", "admin", "--expires", "2030-02-30"],
            2,
            "`2030-02-30` is not a real calendar day",
        ),
        (
            &["--name", "x", "--scope", "everything"],
            2,
            "`everything` is not a scope: expected `admin` or `incubator:ID`",
        ),
        (
            &["--name", "two words", "--scope", "admin"],
            2,
            "`two words` is not a valid token name",
        ),
    ];
    for (args, code, message) in refusals {
        let mut all = vec!["token", "create"];
        all.extend_from_slice(args);
        let output = betadata(&all, &database);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(stdout(&output).is_empty(), "{args:?}: no token printed");
    }
    let list = stdout(&betadata(&["token", "list"], &database));
    assert_eq!(list.lines().count(), 2, "only `ops` was created: {list}");
}

#[test]
fn token_revoke_marks_the_token_and_refuses_unknown_names() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("betadata.db");
    let output = betadata(&["token", "list"], &database);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("no tokens"), "{}", stderr(&output));

    let output = betadata(
        &["token", "create", "--name", "ops", "--scope", "admin"],
        &database,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let list = stdout(&betadata(&["token", "list"], &database));
    let revoked_column = list.lines().next().unwrap().find("revoked").unwrap();
    let ops = list.lines().nth(1).unwrap();
    assert!(
        ops[revoked_column..].starts_with("- "),
        "not revoked yet: {list}"
    );

    let output = betadata(&["token", "revoke", "ops"], &database);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("revoked token `ops`"));
    let list = stdout(&betadata(&["token", "list"], &database));
    let ops = list.lines().nth(1).unwrap();
    assert!(
        ops[revoked_column..].starts_with("20"),
        "revoked, with a date: {list}"
    );

    let again = betadata(&["token", "revoke", "ops"], &database);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("token `ops` was already revoked"),
        "{}",
        stderr(&again)
    );
    let unknown = betadata(&["token", "revoke", "nobody"], &database);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no token is named `nobody`"),
        "{}",
        stderr(&unknown)
    );
}

const CONTENT_V1: &str = "tests/fixtures/content/v1";
/// A tree with a file that cannot be read (and the anomalies of real trees).
const CONTENT_ANOMALIES: &str = "tests/fixtures/content/anomalies";

#[test]
fn check_names_each_bad_file_of_a_content_tree() {
    let dir = tempfile::tempdir().unwrap();
    // Files the model cannot hold all of are kept: warnings, with file and field.
    let output = betadata(&["check", CONTENT_V1], &dir.path().join("unused.db"));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    for file in [
        "_startups/incubateur-inconnu.md: incubator:",
        "_startups/sponsor-inconnu.md: sponsors[1]:",
        "_startups/date-impossible.md: events[0].date:",
        "_startups/sans-titre.md: title:",
    ] {
        assert!(
            err.contains(&format!("warning: {CONTENT_V1}/{file}")),
            "{file} in {err}"
        );
    }
    assert!(
        err.contains("checked 14 file(s) of the content tree: 7 file(s) loaded, 7 loaded with warnings, 0 rejected; 0 error(s), 10 warning(s)"),
        "{err}"
    );
    // A file that cannot be read is left out: an error, and exit 1.
    let output = betadata(&["check", CONTENT_ANOMALIES], &dir.path().join("unused.db"));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: {CONTENT_ANOMALIES}/_startups/illisible.md: the front matter is not valid YAML"
        )),
        "{err}"
    );
    assert!(
        !dir.path().join("unused.db").exists(),
        "check opens no database"
    );
}

#[test]
fn import_of_a_content_tree_exits_zero_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("betadata.db");
    let output = betadata(&["import", "--strict", CONTENT_ANOMALIES], &database);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("1 file(s) rejected; nothing was imported (--strict)"),
        "{err}"
    );

    let output = betadata(&["import", CONTENT_V1], &database);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("import: 7 file(s) loaded, 7 loaded with warnings, 0 rejected; startups 9 created, 0 updated, 0 deleted, 0 unchanged;"),
        "{err}"
    );
    assert!(
        !err.contains("importing ["),
        "no progress bar off a terminal: {err}"
    );

    let output = betadata(&["import", CONTENT_V1], &database);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("startups 0 created, 0 updated, 0 deleted, 9 unchanged"),
        "{err}"
    );

    let output = betadata(&["import", "--prune", "seeds"], &database);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--prune and --strict apply to a beta.gouv.fr content tree"));
}
