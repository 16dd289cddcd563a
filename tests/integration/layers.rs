//! The layers of the crate only look down: `domain` uses nothing of ours, `db` only `domain`,
//! `representation` only `db` and `domain`, and `seed` never the HTTP API. Read from the
//! sources, so that a `use` reaching upward fails here rather than in a review.

use std::path::{Path, PathBuf};

/// Each layer, and the modules of the crate it may name.
const LAYERS: [(&str, &[&str]); 4] = [
    ("domain", &["domain"]),
    ("db", &["db", "domain"]),
    ("representation", &["representation", "db", "domain"]),
    ("seed", &["seed", "representation", "db", "domain"]),
];

fn sources(folder: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The modules of the crate that `text` names as `crate::<module>`.
fn named_modules(text: &str) -> Vec<String> {
    text.match_indices("crate::")
        .filter(|(at, _)| !text[..*at].ends_with('$'))
        .map(|(at, prefix)| {
            text[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn each_layer_names_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut breaches = Vec::new();
    for (layer, allowed) in LAYERS {
        let mut files = Vec::new();
        sources(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no sources in src/{layer}");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for module in named_modules(&text) {
                if !allowed.contains(&module.as_str()) {
                    breaches.push(format!("{}: crate::{module}", file.display()));
                }
            }
        }
    }
    assert!(breaches.is_empty(), "upward uses: {breaches:#?}");
}

#[test]
fn an_upward_use_is_found() {
    assert_eq!(
        named_modules("use crate::api::http::error::ApiError;\nuse crate::db::DbConnection;"),
        ["api", "db"]
    );
}
