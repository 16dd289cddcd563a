//! The `betadata` binary: check, import, migrate and openapi, as a user runs them.

use std::path::Path;
use std::process::{Command, Output};

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

#[test]
fn check_reports_the_real_defects_of_the_seeds_with_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let output = betadata(&["check", "seeds"], &dir.path().join("unused.db"));
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an error exits non-zero: {err}"
    );
    assert!(
        err.contains(
            "error: seeds/startups.yaml: tumeplay: phases[0].start: `01-07-20219` is not a date"
        ),
        "{err}"
    );
    assert!(
        err.contains("warning: seeds/sources.yaml: 003: title: text was UTF-8 decoded twice"),
        "{err}"
    );
    assert!(
        err.contains("France Relance\u{a0}! 📈"),
        "the repair is shown: {err}"
    );
    assert!(err.contains("checked 6 file(s): 1 error(s)"), "{err}");
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
        "- id: ok\n  name: Fine\n- id: Bad Id\n  name: Broken\n- id: odd\n  name: Odd\n  colour: blue\n\
         - id: late\n  name: Late\n  phases:\n    - {phase: construction, start: \"2020-02-30\"}\n",
    )
    .unwrap();
    let output = betadata(
        &["check", startups.to_str().unwrap()],
        &dir.path().join("x.db"),
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        err.contains("Bad Id: id: `Bad Id` is not a valid id"),
        "{err}"
    );
    assert!(err.contains("odd: unknown field `colour`"), "{err}");
    assert!(
        err.contains("late: phases[0].phase: `construction` is not a known phase"),
        "{err}"
    );
    assert!(
        err.contains("late: phases[0].start: `2020-02-30` is not a real calendar day"),
        "{err}"
    );

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
