//! The Rust version `Cargo.toml` declares (`rust-version`) is the true minimum: the newest of
//! the versions the locked dependencies declare, or of what our own code needs, whichever is
//! newer. The README says the same.

use std::process::Command;

use serde_json::Value;

/// What our own code needs, whatever the dependencies: let chains (`if let … && let …`) in the
/// 2024 edition are stable from 1.88.
const OWN_CODE_NEEDS: (u32, u32) = (1, 88);

fn version(text: &str) -> (u32, u32) {
    let mut parts = text
        .split('.')
        .map(|p| p.parse::<u32>().expect("a version number"));
    (
        parts.next().expect("a major version"),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn rust_version_is_the_minimum_the_locked_dependencies_need() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // Not `--offline`: the metadata lists the crates of every platform, which a fresh machine
    // has not downloaded yet (`cargo test` builds only this one's).
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let ours = metadata["workspace_members"]
        .as_array()
        .expect("workspace members");
    let packages = metadata["packages"].as_array().expect("packages");
    let declared = packages
        .iter()
        .find(|p| ours.contains(&p["id"]))
        .and_then(|p| p["rust_version"].as_str())
        .map(version)
        .expect("Cargo.toml declares a rust-version");
    let (needed, by) = packages
        .iter()
        .filter(|p| !ours.contains(&p["id"]))
        .filter_map(|p| {
            let rust = p["rust_version"].as_str()?;
            Some((version(rust), format!("{} {}", p["name"], p["version"])))
        })
        .max()
        .expect("some dependency declares a rust-version");
    let (needed, by) = if needed >= OWN_CODE_NEEDS {
        (needed, by)
    } else {
        (OWN_CODE_NEEDS, "our own code".to_owned())
    };
    assert_eq!(
        declared, needed,
        "Cargo.toml's rust-version is {declared:?}, but the true minimum is {needed:?} ({by})"
    );
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README");
    let said = format!("{}.{} or newer", needed.0, needed.1);
    assert!(readme.contains(&said), "the README should say \"{said}\"");
}

#[test]
fn versions_compare_by_number() {
    assert!(version("1.95") > version("1.88.0"));
    assert!(version("1.100") > version("1.95"));
    assert_eq!(version("1.88.0"), (1, 88));
}
