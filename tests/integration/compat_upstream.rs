//! How faithfully our `/compat/v2.7/*` files reproduce what beta.gouv.fr itself serves for the
//! same content tree, value by value.
//!
//! The reference is rendered, not stored: `render-upstream.sh` of the shared folder
//! `../shared/betagouv-2025-06` (or `$BETADATA_UPSTREAM_TREE`) runs beta.gouv.fr's own Jekyll
//! templates and plugins over its `content/` tree, once per test process. The same tree is
//! imported into a fresh database as `betadata import <tree>/content` does, and each of the seven
//! v2.7 files is fetched from the application and compared with upstream's, on both backends.
//!
//! Without that folder, or without `jekyll` on `PATH`, the test prints
//! `compat_upstream: skipped: <reason>` and passes; with `CI=true` and the folder present, a
//! missing `jekyll` fails it (`.ci/run` installs it).
//!
//! # What is compared
//!
//! - JSON files: records are matched by id (`startups.json`: `data[]` and `included[]` by `id`;
//!   `startups_details.json`, `incubators.json`, `sponsors.json`: the keys of the top-level
//!   object; `organisations.json`, `authors.json`: the array's elements by `id`). In upstream's
//!   tree, every leaf (string, number, boolean, null) and every empty array or object is one
//!   *value*, equal when ours holds the same JSON value at the same path. Array elements are
//!   compared by index (so an element missing in ours makes those after it differ). A key, an array element or a record only ours has counts as one unequal
//!   value. `links.self` of `startups.json` is left out (it names each document's own URL).
//! - `startups.csv`: upstream's file is read line by line as its template writes it: `"…"` around
//!   `name`, `mission`, `accessibility` and `incubators`, nothing escaped, so a `;` or a line
//!   break inside a value breaks the row; such lines are counted and skipped. Ours is read as
//!   RFC 4180 CSV. Each field of a row is one value, compared decoded, by id and column; the
//!   header row counts too. Upstream's values are compared as ours publishes them: a text that
//!   a spreadsheet would run as a formula (`=…`, `-…`) is written with a `'` before it
//!   ([`betadata::api::shape::formula_safe`]), a difference on purpose that must not count as one.
//!
//! # Reading the output
//!
//! Per backend and file, one line:
//!
//! ```text
//! compat_upstream[sqlite] startups.json: records 587/587 (100.00 %), values 41234/41520 equal (99.31 %)
//! ```
//!
//! `records` is how many of upstream's records ours holds; `values` how many of upstream's
//! values (plus those only ours has) ours reproduces exactly. Then, indented:
//!
//! - notes: what ours answered when not 200, upstream's broken CSV rows, records only ours has,
//!   and in how many objects the keys come in another order than upstream's (informational, not
//!   in the percentage);
//! - up to 15 sample mismatches, one per path pattern first, most frequent pattern first:
//!   `path: upstream <JSON> | ours <JSON>`, `(absent)` where a side has nothing;
//! - the mismatches by path pattern (record ids and array indices as `*`), most frequent first,
//!   each split by kind: `differs`, `missing` (upstream has it, ours not), `extra` (only ours has
//!   it). A missing record or subtree is one mismatch there, though each of its values counts as
//!   unequal in the percentage;
//! - the key orders that differ, by pattern, with an example of each side.
//!
//! A last line gives the values of all seven files together. Before the files, the import's
//! summary, its problems counted by field and its first errors explain most missing records.
//!
//! After printing everything, the test fails when a file does not answer 200 or does not parse,
//! holds less than [`MIN_RECORDS_PERCENT`] of upstream's records, or reproduces less than
//! [`MIN_VALUES_PERCENT`] of its values.

use crate::common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use actix_web::test as actix_test;
use betadata::api::app;
use betadata::api::publish::compat;
use betadata::api::shape::formula_safe::neutralise;
use betadata::seed::Severity;
use betadata::seed::content::{read_tree, sync};
use common::both_backends;
use indicatif::ProgressBar;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Share of upstream's records each file must hold, in percent.
const MIN_RECORDS_PERCENT: f64 = 100.0;
/// Share of upstream's values each file must reproduce exactly, in percent.
const MIN_VALUES_PERCENT: f64 = 99.5;

/// Sample mismatches printed per file.
const SAMPLES: usize = 15;
/// Mismatch patterns printed per file.
const TOP_PATTERNS: usize = 20;
/// Key-order patterns printed per file.
const TOP_KEY_ORDERS: usize = 5;
/// Import problems printed per backend.
const IMPORT_ERRORS: usize = 10;
/// Longest value printed, in characters.
const SHOWN_CHARS: usize = 120;
/// Characters shown before the first difference of two long strings.
const CONTEXT_CHARS: usize = 20;

/// Names the reference folder when it is not at `$CARGO_MANIFEST_DIR/../shared/betagouv-2025-06`.
const TREE_VAR: &str = "BETADATA_UPSTREAM_TREE";
/// Where our files are served.
const BASE: &str = "/compat/v2.7";

/// How a file's records are laid out.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// JSON:API: `data[]` and `included[]`, each matched by `id`.
    JsonApi,
    /// An object keyed by record id.
    Keyed,
    /// An array of records, matched by `id`.
    List,
    /// upstream's `;`-separated `startups.csv`.
    Csv,
}

/// The files of upstream's v2.7 API, and how each is laid out.
const FILES: [(&str, Shape); 7] = [
    ("startups.json", Shape::JsonApi),
    ("startups.csv", Shape::Csv),
    ("startups_details.json", Shape::Keyed),
    ("incubators.json", Shape::Keyed),
    ("organisations.json", Shape::List),
    ("sponsors.json", Shape::Keyed),
    ("authors.json", Shape::List),
];

/// The CSV's columns, and those upstream's template wraps in `"…"` (name, mission,
/// accessibility, incubators).
const CSV_COLUMNS: usize = 12;
const CSV_QUOTED: [usize; 4] = [1, 2, 9, 11];

both_backends! {
    fn compat_files_match_upstream(db) {
        run(db).await;
    }
}

async fn run(db: common::TestDb) {
    let tree = match reference_tree() {
        Ok(tree) => tree,
        Err(reason) => {
            println!("compat_upstream: skipped: {reason}");
            return;
        }
    };
    let backend = db.url.backend();
    let upstream = upstream_files(&tree);
    let mut report = import(&db, &tree.join("content"), backend);

    let app = actix_test::init_service(app(db.state())).await;
    let mut failures = Vec::new();
    let (mut equal, mut values) = (0, 0);
    for (name, shape) in FILES {
        let request = actix_test::TestRequest::get()
            .uri(&format!("{BASE}/{name}"))
            .to_request();
        let response = actix_test::call_service(&app, request).await;
        let status = response.status().as_u16();
        let body = actix_test::read_body(response).await;
        let reference = upstream.get(name).expect("rendered with the others");
        let comparison = compare_file(shape, reference, status, &body);
        comparison.report(&format!("compat_upstream[{backend}] {name}"), &mut report);
        equal += comparison.equal;
        values += comparison.values;
        failures.extend(
            comparison
                .failures()
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
    }
    report.push(format!(
        "compat_upstream[{backend}] all files: values {equal}/{values} equal ({:.2} %)",
        percent(equal, values)
    ));
    println!("{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "compat_upstream[{backend}]: our v2.7 files fall short of upstream's:\n  {}",
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// The reference and the database

/// The shared reference folder, or why the test cannot run here.
fn reference_tree() -> Result<PathBuf, String> {
    let tree = match std::env::var_os(TREE_VAR).filter(|v| !v.is_empty()) {
        Some(tree) => PathBuf::from(tree),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/betagouv-2025-06"),
    };
    if !tree.join("render-upstream.sh").is_file() || !tree.join("content").is_dir() {
        return Err(format!(
            "no reference tree at {} (or set {TREE_VAR})",
            tree.display()
        ));
    }
    if !on_path("jekyll") {
        let reason = "jekyll is not on PATH \
                      (apt-get install -y ruby ruby-liquid jekyll ruby-activemodel)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "compat_upstream: {reason}; with CI=true and {} present it must be installed \
             (.ci/run's ensure_jekyll)",
            tree.display()
        );
        return Err(reason.to_owned());
    }
    Ok(tree)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Upstream's files by name, rendered over `<tree>/content` once per test process.
fn upstream_files(tree: &Path) -> &'static BTreeMap<&'static str, Vec<u8>> {
    static RENDERED: OnceLock<BTreeMap<&'static str, Vec<u8>>> = OnceLock::new();
    RENDERED.get_or_init(|| {
        // Read whole, so the folder is gone before any comparison starts.
        let out = tempfile::tempdir().expect("a temporary folder for upstream's files");
        let script = tree.join("render-upstream.sh");
        let rendered = Command::new("sh")
            .arg(&script)
            .arg(tree.join("content"))
            .arg(out.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            rendered.status.success(),
            "{} failed ({}):\n{}{}",
            script.display(),
            rendered.status,
            String::from_utf8_lossy(&rendered.stdout),
            String::from_utf8_lossy(&rendered.stderr)
        );
        FILES
            .iter()
            .map(|&(name, _)| {
                let path = out.path().join(name);
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("upstream's {}: {e}", path.display()));
                (name, bytes)
            })
            .collect()
    })
}

/// Imports `content` as `betadata import` does; returns the report's first lines: the import's
/// summary, its problems counted by field, and its first errors (what explains missing records).
fn import(db: &common::TestDb, content: &Path, backend: &str) -> Vec<String> {
    let files = read_tree(content).expect("the reference content tree reads");
    let mut conn = db.pool.get().expect("connection");
    let outcome = sync::import(
        &mut conn,
        &files,
        sync::Options::default(),
        &ProgressBar::hidden(),
        betadata::api::http::state::today(),
    )
    .expect("the reference content tree imports");
    let problems = &outcome.set.report.problems;
    let mut lines = vec![format!("compat_upstream[{backend}] {}", outcome.summary())];
    for (severity, name) in [(Severity::Error, "errors"), (Severity::Warning, "warnings")] {
        let mut by_field: BTreeMap<String, usize> = BTreeMap::new();
        for problem in problems.iter().filter(|p| p.severity == severity) {
            let field = match problem.field.as_str() {
                "" => "(record)".to_owned(),
                field => starred_indices(field),
            };
            *by_field.entry(field).or_default() += 1;
        }
        let mut by_field: Vec<_> = by_field.into_iter().collect();
        by_field.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let counts: Vec<String> = by_field.iter().map(|(f, n)| format!("{f} {n}")).collect();
        if !counts.is_empty() {
            lines.push(format!("    import {name} by field: {}", counts.join(", ")));
        }
    }
    let prefix = format!("{}/", content.display());
    let errors: Vec<_> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    lines.extend(errors.iter().take(IMPORT_ERRORS).map(|p| {
        let text = p.to_string().replace(&prefix, "");
        format!("    {}", truncated(&text, 2 * SHOWN_CHARS))
    }));
    if errors.len() > IMPORT_ERRORS {
        lines.push(format!(
            "    … and {} more import error(s)",
            errors.len() - IMPORT_ERRORS
        ));
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// JSON, with its keys in document order

/// A JSON value whose objects keep their keys in document order (serde_json's `Value` sorts
/// them unless its `preserve_order` feature is on, which would change the main build too).
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    fn as_object(&self) -> Option<&[(String, Node)]> {
        match self {
            Node::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value at `key` of an object (the first, should a key come twice).
    fn get(&self, key: &str) -> Option<&Node> {
        self.as_object()?
            .iter()
            .find_map(|(k, v)| (k == key).then_some(v))
    }

    /// How many values (leaves and empty containers) the tree holds.
    fn values(&self) -> usize {
        match self {
            Node::Array(items) if !items.is_empty() => items.iter().map(Node::values).sum(),
            Node::Object(entries) if !entries.is_empty() => {
                entries.iter().map(|(_, v)| v.values()).sum()
            }
            _ => 1,
        }
    }
}

/// Compact JSON.
impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Null => f.write_str("null"),
            Node::Bool(b) => write!(f, "{b}"),
            Node::Number(n) => write!(f, "{n}"),
            Node::String(s) => write!(f, "{}", serde_json::Value::from(s.as_str())),
            Node::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Node::Object(entries) => {
                f.write_str("{")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{value}", serde_json::Value::from(key.as_str()))?;
                }
                f.write_str("}")
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        // JSON has no NaN nor infinity, so the parser never hands one over.
        Ok(serde_json::Number::from_f64(v).map_or(Node::Null, Node::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Object(entries))
    }
}

// ---------------------------------------------------------------------------------------------
// Paths

/// One step of a path from a document's root.
enum Step {
    Key(String),
    Record(String),
    Index(usize),
}

/// `data[1-eleve-1-stage].attributes.phases[0].name`, or with `pattern` the same with record
/// ids and indices as `*`: `data[*].attributes.phases[*].name`.
fn path_text(path: &[Step], pattern: bool) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::Record(_) | Step::Index(_) if pattern => text.push_str("[*]"),
            Step::Record(id) => text.push_str(&format!("[{id}]")),
            Step::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    if text.is_empty() {
        text.push_str("(root)");
    }
    text
}

/// `phases[1].start` as `phases[*].start`.
fn starred_indices(field: &str) -> String {
    let mut starred = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => {
                in_index = true;
                starred.push_str("[*");
            }
            ']' => {
                in_index = false;
                starred.push(']');
            }
            _ if in_index => {}
            c => starred.push(c),
        }
    }
    starred
}

/// At most [`SHOWN_CHARS`] characters of `text`.
fn shown(text: &str) -> String {
    truncated(text, SHOWN_CHARS)
}

/// At most `chars` characters of `text`, with `…` when some were cut.
fn truncated(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn shown_node(node: Option<&Node>) -> String {
    node.map_or_else(|| "(absent)".to_owned(), |n| shown(&n.to_string()))
}

/// Both sides of a mismatch, and a detail. Two strings alike past half of [`SHOWN_CHARS`] are
/// shown from [`CONTEXT_CHARS`] before their first difference, which the detail names.
fn shown_pair(upstream: Option<&Node>, ours: Option<&Node>) -> (String, String, String) {
    if let (Some(Node::String(theirs)), Some(Node::String(ours))) = (upstream, ours) {
        let alike = theirs
            .chars()
            .zip(ours.chars())
            .take_while(|(a, b)| a == b)
            .count();
        if alike > SHOWN_CHARS / 2 {
            let from = |text: &str| {
                let tail: String = text.chars().skip(alike - CONTEXT_CHARS).collect();
                shown(&format!("…{}", Node::String(tail)))
            };
            let detail = format!(" (first difference at character {alike})");
            return (from(theirs), from(ours), detail);
        }
    }
    (shown_node(upstream), shown_node(ours), String::new())
}

// ---------------------------------------------------------------------------------------------
// Comparison

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Both sides have a value there, and they differ.
    Differs,
    /// Upstream has it, ours not.
    Missing,
    /// Ours has it, upstream not.
    Extra,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Differs, Kind::Missing, Kind::Extra];

    fn name(self) -> &'static str {
        match self {
            Kind::Differs => "differs",
            Kind::Missing => "missing",
            Kind::Extra => "extra",
        }
    }
}

struct Mismatch {
    path: String,
    pattern: String,
    kind: Kind,
    upstream: String,
    ours: String,
    /// Where two long strings start to differ, or nothing.
    detail: String,
}

/// An object whose shared keys come in another order in ours.
struct KeyOrder {
    pattern: String,
    upstream: String,
    ours: String,
}

/// One of our files compared with upstream's.
#[derive(Default)]
struct Comparison {
    upstream_records: usize,
    records_present: usize,
    extra_records: usize,
    values: usize,
    equal: usize,
    mismatches: Vec<Mismatch>,
    /// Objects compared key by key, and those whose keys come in another order.
    objects: usize,
    key_orders: Vec<KeyOrder>,
    /// What the report should say besides the figures.
    notes: Vec<String>,
    /// What fails the file whatever its figures (not served, not readable).
    faults: Vec<String>,
}

impl Comparison {
    fn mismatch(
        &mut self,
        path: &[Step],
        kind: Kind,
        upstream: Option<&Node>,
        ours: Option<&Node>,
    ) {
        let (upstream, ours, detail) = shown_pair(upstream, ours);
        self.mismatches.push(Mismatch {
            path: path_text(path, false),
            pattern: path_text(path, true),
            kind,
            upstream,
            ours,
            detail,
        });
    }

    /// Something only ours has: one unequal value.
    fn extra(&mut self, path: &[Step], ours: &Node) {
        self.values += 1;
        self.mismatch(path, Kind::Extra, None, Some(ours));
    }

    /// Compares upstream's tree at `path` with ours, value by value.
    fn value(&mut self, path: &mut Vec<Step>, upstream: &Node, ours: Option<&Node>) {
        match (upstream, ours) {
            (Node::Object(theirs), Some(Node::Object(ours))) if !theirs.is_empty() => {
                self.key_order(path, theirs, ours);
                for (key, value) in theirs {
                    path.push(Step::Key(key.clone()));
                    self.value(
                        path,
                        value,
                        ours.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                    );
                    path.pop();
                }
                for (key, value) in ours {
                    if !theirs.iter().any(|(k, _)| k == key) {
                        path.push(Step::Key(key.clone()));
                        self.extra(path, value);
                        path.pop();
                    }
                }
            }
            (Node::Array(theirs), Some(Node::Array(ours))) if !theirs.is_empty() => {
                for (i, value) in theirs.iter().enumerate() {
                    path.push(Step::Index(i));
                    self.value(path, value, ours.get(i));
                    path.pop();
                }
                for (i, value) in ours.iter().enumerate().skip(theirs.len()) {
                    path.push(Step::Index(i));
                    self.extra(path, value);
                    path.pop();
                }
            }
            // A value, or a subtree ours does not have or has as something else.
            _ => {
                let values = upstream.values();
                self.values += values;
                if ours == Some(upstream) {
                    self.equal += values;
                } else {
                    let kind = if ours.is_some() {
                        Kind::Differs
                    } else {
                        Kind::Missing
                    };
                    self.mismatch(path, kind, Some(upstream), ours);
                }
            }
        }
    }

    /// Notes an object whose shared keys come in another order in ours.
    fn key_order(&mut self, path: &[Step], upstream: &[(String, Node)], ours: &[(String, Node)]) {
        let shared = |of: &[(String, Node)], with: &[(String, Node)]| -> Vec<String> {
            of.iter()
                .filter(|(k, _)| with.iter().any(|(other, _)| other == k))
                .map(|(k, _)| k.clone())
                .collect()
        };
        self.objects += 1;
        if shared(upstream, ours) != shared(ours, upstream) {
            let keys = |of: &[(String, Node)]| {
                shown(
                    &of.iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            };
            self.key_orders.push(KeyOrder {
                pattern: path_text(path, true),
                upstream: keys(upstream),
                ours: keys(ours),
            });
        }
    }

    /// Matches records by id under `path`, then compares each pair; `ours` is `None` when ours
    /// has no such list at all.
    fn records(
        &mut self,
        path: &mut Vec<Step>,
        upstream: &[(String, &Node)],
        ours: Option<&[(String, &Node)]>,
    ) {
        let ours = ours.unwrap_or_default();
        let by_id: HashMap<&str, &Node> = ours.iter().map(|(id, n)| (id.as_str(), *n)).collect();
        let upstream_ids: HashSet<&str> = upstream.iter().map(|(id, _)| id.as_str()).collect();
        for (id, record) in upstream {
            self.upstream_records += 1;
            path.push(Step::Record(id.clone()));
            match by_id.get(id.as_str()) {
                Some(&ours) => {
                    self.records_present += 1;
                    self.value(path, record, Some(ours));
                }
                None => {
                    self.values += record.values();
                    self.mismatch(path, Kind::Missing, Some(record), None);
                }
            }
            path.pop();
        }
        for (id, record) in ours {
            if !upstream_ids.contains(id.as_str()) {
                self.extra_records += 1;
                path.push(Step::Record(id.clone()));
                self.extra(path, record);
                path.pop();
            }
        }
    }

    fn records_percent(&self) -> f64 {
        percent(self.records_present, self.upstream_records)
    }

    fn values_percent(&self) -> f64 {
        percent(self.equal, self.values)
    }

    /// Why the file fails, if it does.
    fn failures(&self) -> Vec<String> {
        let mut failures = self.faults.clone();
        if self.records_percent() < MIN_RECORDS_PERCENT {
            failures.push(format!(
                "{}/{} of upstream's records ({:.2} % < {MIN_RECORDS_PERCENT} %)",
                self.records_present,
                self.upstream_records,
                self.records_percent()
            ));
        }
        if self.values_percent() < MIN_VALUES_PERCENT {
            failures.push(format!(
                "{}/{} values equal ({:.2} % < {MIN_VALUES_PERCENT} %)",
                self.equal,
                self.values,
                self.values_percent()
            ));
        }
        failures
    }

    /// The figures, notes, samples and patterns, under `title`.
    fn report(&self, title: &str, out: &mut Vec<String>) {
        out.push(format!(
            "{title}: records {}/{} ({:.2} %), values {}/{} equal ({:.2} %)",
            self.records_present,
            self.upstream_records,
            self.records_percent(),
            self.equal,
            self.values,
            self.values_percent()
        ));
        out.extend(self.notes.iter().map(|note| format!("    {note}")));
        if self.extra_records > 0 {
            out.push(format!(
                "    records only ours has: {} (one unequal value each)",
                self.extra_records
            ));
        }
        if self.objects > 0 {
            out.push(format!(
                "    key order differs in {}/{} objects compared (not in the %)",
                self.key_orders.len(),
                self.objects
            ));
        }
        self.report_mismatches(out);
        self.report_key_orders(out);
    }

    /// Sample mismatches, then the mismatches by pattern.
    fn report_mismatches(&self, out: &mut Vec<String>) {
        if self.mismatches.is_empty() {
            return;
        }
        // Patterns, most frequent first, each with its first mismatch and its count per kind.
        let mut patterns: BTreeMap<&str, (usize, [usize; 3], usize)> = BTreeMap::new();
        for (i, m) in self.mismatches.iter().enumerate() {
            let entry = patterns.entry(&m.pattern).or_insert((0, [0; 3], i));
            entry.0 += 1;
            entry.1[m.kind as usize] += 1;
        }
        let mut patterns: Vec<_> = patterns.into_iter().collect();
        patterns.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));

        // Samples: the first mismatch of each pattern, then the next ones in document order.
        let mut samples: Vec<usize> = patterns.iter().map(|(_, (_, _, first))| *first).collect();
        samples.truncate(SAMPLES);
        let chosen: HashSet<usize> = samples.iter().copied().collect();
        let rest = (0..self.mismatches.len()).filter(|i| !chosen.contains(i));
        samples.extend(rest.take(SAMPLES.saturating_sub(samples.len())));
        out.push(format!(
            "    sample mismatches ({} of {}):",
            samples.len(),
            self.mismatches.len()
        ));
        for &i in &samples {
            let m = &self.mismatches[i];
            out.push(format!(
                "      {}: upstream {} | ours {}{}",
                m.path, m.upstream, m.ours, m.detail
            ));
        }

        out.push(format!(
            "    mismatches by pattern (top {} of {}):",
            patterns.len().min(TOP_PATTERNS),
            patterns.len()
        ));
        for (pattern, (count, kinds, _)) in patterns.iter().take(TOP_PATTERNS) {
            let kinds: Vec<String> = Kind::ALL
                .iter()
                .filter(|&&k| kinds[k as usize] > 0)
                .map(|&k| format!("{} {}", k.name(), kinds[k as usize]))
                .collect();
            out.push(format!(
                "      {count:>6}  {pattern}  ({})",
                kinds.join(", ")
            ));
        }
    }

    /// The key orders that differ, by pattern, with the first example of each.
    fn report_key_orders(&self, out: &mut Vec<String>) {
        if self.key_orders.is_empty() {
            return;
        }
        let mut orders: BTreeMap<&str, (usize, &KeyOrder)> = BTreeMap::new();
        for order in &self.key_orders {
            orders.entry(&order.pattern).or_insert((0, order)).0 += 1;
        }
        let mut orders: Vec<_> = orders.into_iter().collect();
        orders.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
        out.push(format!(
            "    key order differs, by pattern (top {} of {}):",
            orders.len().min(TOP_KEY_ORDERS),
            orders.len()
        ));
        for (pattern, (count, example)) in orders.iter().take(TOP_KEY_ORDERS) {
            out.push(format!(
                "      {count:>6}  {pattern}: upstream {} | ours {}",
                example.upstream, example.ours
            ));
        }
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Compares our answer (`status`, `body`) for one file with upstream's `reference`.
fn compare_file(shape: Shape, reference: &[u8], status: u16, body: &[u8]) -> Comparison {
    let mut comparison = Comparison::default();
    let ours = if status == 200 {
        Some(body)
    } else {
        comparison.notes.push(format!(
            "ours answered HTTP {status}: every upstream value counts as missing"
        ));
        comparison
            .faults
            .push(format!("answered HTTP {status}, not 200"));
        None
    };
    match shape {
        Shape::Csv => compare_csv(&mut comparison, reference, ours),
        Shape::JsonApi | Shape::Keyed | Shape::List => {
            compare_json(&mut comparison, shape, reference, ours);
        }
    }
    comparison
}

fn compare_json(comparison: &mut Comparison, shape: Shape, reference: &[u8], ours: Option<&[u8]>) {
    let mut upstream: Node = match serde_json::from_slice(reference) {
        Ok(upstream) => upstream,
        Err(e) => {
            comparison
                .faults
                .push(format!("upstream's file does not parse as JSON: {e}"));
            return;
        }
    };
    let mut ours: Option<Node> = ours.and_then(|bytes| match serde_json::from_slice(bytes) {
        Ok(ours) => Some(ours),
        Err(e) => {
            comparison
                .notes
                .push(format!("ours does not parse as JSON: {e}"));
            comparison
                .faults
                .push(format!("does not parse as JSON: {e}"));
            None
        }
    });
    let mut path = Vec::new();
    match shape {
        Shape::JsonApi => {
            drop_self_link(&mut upstream);
            if let Some(ours) = &mut ours {
                drop_self_link(ours);
            }
            compare_json_api(comparison, &upstream, ours.as_ref());
        }
        Shape::Keyed => {
            let Some(theirs) = records_by_key(&upstream) else {
                comparison
                    .faults
                    .push("upstream's file is not a JSON object".into());
                return;
            };
            let ours = ours.as_ref().and_then(|o| {
                let records = records_by_key(o);
                if records.is_none() {
                    comparison.notes.push("ours is not a JSON object".into());
                }
                records
            });
            comparison.records(&mut path, &theirs, ours.as_deref());
        }
        Shape::List => {
            let Some(theirs) = records_by_id(&upstream) else {
                comparison
                    .faults
                    .push("upstream's file is not a JSON array".into());
                return;
            };
            let ours = ours.as_ref().and_then(|o| {
                let records = records_by_id(o);
                if records.is_none() {
                    comparison.notes.push("ours is not a JSON array".into());
                }
                records
            });
            comparison.records(&mut path, &theirs, ours.as_deref());
        }
        Shape::Csv => unreachable!("the CSV is compared by compare_csv"),
    }
}

/// `startups.json`: its top-level object, with `data[]` and `included[]` matched by id.
fn compare_json_api(comparison: &mut Comparison, upstream: &Node, ours: Option<&Node>) {
    let Some(theirs) = upstream.as_object() else {
        comparison
            .faults
            .push("upstream's file is not a JSON object".into());
        return;
    };
    let mut path = Vec::new();
    match ours {
        Some(Node::Object(ours)) => comparison.key_order(&path, theirs, ours),
        Some(_) => comparison.notes.push("ours is not a JSON object".into()),
        None => {}
    }
    for (key, value) in theirs {
        let our_value = ours.and_then(|o| o.get(key));
        path.push(Step::Key(key.clone()));
        if key == "data" || key == "included" {
            let Some(records) = records_by_id(value) else {
                comparison
                    .faults
                    .push(format!("upstream's `{key}` is not an array"));
                path.pop();
                continue;
            };
            let our_records = our_value.and_then(records_by_id);
            comparison.records(&mut path, &records, our_records.as_deref());
        } else {
            comparison.value(&mut path, value, our_value);
        }
        path.pop();
    }
    for (key, value) in ours.and_then(Node::as_object).unwrap_or_default() {
        if upstream.get(key).is_none() {
            path.push(Step::Key(key.clone()));
            comparison.extra(&path, value);
            path.pop();
        }
    }
}

/// The entries of an object, each with its key as id.
fn records_by_key(node: &Node) -> Option<Vec<(String, &Node)>> {
    Some(
        node.as_object()?
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
    )
}

/// The elements of an array, each with its `id` (`#index` when it has no string `id`).
fn records_by_id(node: &Node) -> Option<Vec<(String, &Node)>> {
    let Node::Array(items) = node else {
        return None;
    };
    let records = items.iter().enumerate().map(|(i, item)| {
        let id = match item.get("id") {
            Some(Node::String(id)) => id.clone(),
            _ => format!("#{i}"),
        };
        (id, item)
    });
    Some(records.collect())
}

/// Removes `links.self`, which names each document's own URL.
fn drop_self_link(document: &mut Node) {
    if let Node::Object(entries) = document {
        for (_, links) in entries.iter_mut().filter(|(key, _)| key == "links") {
            if let Node::Object(links) = links {
                links.retain(|(key, _)| key != "self");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// startups.csv

/// Upstream's CSV, read line by line as its template writes it.
struct UpstreamCsv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// The first field of each line that is not a record: a row broken by a `;` or a line
    /// break inside a value, or the continuation of one.
    broken: Vec<String>,
}

fn read_upstream_csv(text: &str) -> UpstreamCsv {
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header = lines
        .next()
        .map(|line| line.split(';').map(str::to_owned).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    let mut broken = Vec::new();
    for line in lines {
        match upstream_row(line) {
            Some(row) => rows.push(row),
            None => broken.push(line.split(';').next().unwrap_or_default().to_owned()),
        }
    }
    UpstreamCsv {
        header,
        rows,
        broken,
    }
}

/// A line of upstream's CSV: 12 fields on `;`, those of [`CSV_QUOTED`] inside `"…"`.
fn upstream_row(line: &str) -> Option<Vec<String>> {
    let fields: Vec<&str> = line.split(';').collect();
    if fields.len() != CSV_COLUMNS {
        return None;
    }
    fields
        .iter()
        .enumerate()
        .map(|(i, &field)| {
            if CSV_QUOTED.contains(&i) {
                let inner = field.strip_prefix('"')?.strip_suffix('"')?;
                Some(inner.to_owned())
            } else {
                Some(field.to_owned())
            }
        })
        .collect()
}

/// Upstream's row as ours publishes the same values: each made formula-safe by the type of
/// its column, as every CSV of ours is.
fn as_published(row: &[String]) -> Vec<String> {
    row.iter()
        .enumerate()
        .map(|(i, value)| match compat::CSV_COLUMNS.get(i) {
            Some(column) => neutralise(value, column.field_type).into_owned(),
            None => value.clone(),
        })
        .collect()
}

/// Our CSV, read as RFC 4180 with `;`: its header row and its rows.
fn read_our_csv(bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = reader
        .records()
        .map(|record| record.map(|r| r.iter().map(str::to_owned).collect::<Vec<_>>()));
    let header = rows.next().transpose()?.unwrap_or_default();
    Ok((header, rows.collect::<Result<_, _>>()?))
}

fn borrowed(records: &[(String, Node)]) -> Vec<(String, &Node)> {
    records.iter().map(|(id, n)| (id.clone(), n)).collect()
}

/// A CSV row as an object keyed by upstream's column names (`column N` past them), with its id.
fn csv_record(columns: &[String], row: &[String]) -> (String, Node) {
    let fields = row.iter().enumerate().map(|(i, value)| {
        let column = columns
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("column {}", i + 1));
        (column, Node::String(value.clone()))
    });
    let id = row.first().cloned().unwrap_or_default();
    (id, Node::Object(fields.collect()))
}

fn strings(values: &[String]) -> Node {
    Node::Array(values.iter().cloned().map(Node::String).collect())
}

fn compare_csv(comparison: &mut Comparison, reference: &[u8], ours: Option<&[u8]>) {
    let upstream = read_upstream_csv(&String::from_utf8_lossy(reference));
    if !upstream.broken.is_empty() {
        let starts: Vec<String> = upstream.broken.iter().map(|s| truncated(s, 40)).collect();
        comparison.notes.push(format!(
            "upstream rows broken: {} line(s) not splitting into {CSV_COLUMNS} fields, skipped \
             (they start: {})",
            upstream.broken.len(),
            starts.join(", ")
        ));
    }
    let ours = ours.and_then(|bytes| match read_our_csv(bytes) {
        Ok(ours) => Some(ours),
        Err(e) => {
            comparison
                .notes
                .push(format!("ours does not parse as CSV: {e}"));
            comparison
                .faults
                .push(format!("does not parse as CSV: {e}"));
            None
        }
    });

    let mut path = vec![Step::Key("header".into())];
    let our_header = ours.as_ref().map(|(header, _)| strings(header));
    comparison.value(&mut path, &strings(&upstream.header), our_header.as_ref());

    let theirs: Vec<(String, Node)> = upstream
        .rows
        .iter()
        .map(|row| csv_record(&upstream.header, &as_published(row)))
        .collect();
    let upstream_ids: HashSet<&str> = theirs.iter().map(|(id, _)| id.as_str()).collect();
    let broken: Vec<String> = upstream
        .broken
        .iter()
        .map(|id| neutralise(id, compat::CSV_COLUMNS[0].field_type).into_owned())
        .collect();
    let broken: HashSet<&str> = broken.iter().map(String::as_str).collect();
    // Our rows, less those upstream broke: they are neither compared nor extra.
    let ours: Option<Vec<(String, Node)>> = ours.map(|(_, rows)| {
        rows.iter()
            .map(|row| csv_record(&upstream.header, row))
            .filter(|(id, _)| upstream_ids.contains(id.as_str()) || !broken.contains(id.as_str()))
            .collect()
    });
    let mut path = Vec::new();
    comparison.records(
        &mut path,
        &borrowed(&theirs),
        ours.as_deref().map(borrowed).as_deref(),
    );
}

// ---------------------------------------------------------------------------------------------
// The measure itself, on small documents

fn parsed(json: &str) -> Node {
    serde_json::from_str(json).expect("test JSON")
}

#[test]
fn values_are_compared_by_path_and_key_order_apart() {
    let upstream = parsed(r#"{"a": 1, "b": [1, 2], "c": {}, "d": {"e": "x", "f": null}}"#);
    let ours = parsed(r#"{"d": {"e": "y", "f": null}, "a": 1, "b": [1], "c": {}, "z": true}"#);
    let mut comparison = Comparison::default();
    comparison.value(&mut Vec::new(), &upstream, Some(&ours));
    // a, b[0], b[1], c, d.e, d.f, and z only ours has.
    assert_eq!((comparison.equal, comparison.values), (4, 7));
    let found: Vec<(&str, Kind)> = comparison
        .mismatches
        .iter()
        .map(|m| (m.path.as_str(), m.kind))
        .collect();
    assert_eq!(
        found,
        [
            ("b[1]", Kind::Missing),
            ("d.e", Kind::Differs),
            ("z", Kind::Extra)
        ]
    );
    assert_eq!((comparison.key_orders.len(), comparison.objects), (1, 2));
    assert_eq!(comparison.key_orders[0].ours, "d,a,b,c,z");
}

#[test]
fn records_are_matched_by_id_and_links_self_is_left_out() {
    let upstream = br#"{"links": {"self": "https://beta.gouv.fr/startups"},
        "data": [{"id": "a", "v": [1, 2]}, {"id": "b", "v": 2}], "included": []}"#;
    let ours = br#"{"links": {"self": "http://localhost/compat/v2.7/startups.json"},
        "data": [{"id": "b", "v": 2}, {"id": "c", "v": 3}], "included": []}"#;
    let comparison = compare_file(Shape::JsonApi, upstream, 200, ours);
    assert_eq!(
        (comparison.records_present, comparison.upstream_records),
        (1, 2)
    );
    assert_eq!(comparison.extra_records, 1);
    // `links`, left as `{}`: equal; `a`: 3 values missing; `b`: 2 equal; `c`: 1 extra. An empty
    // record list holds no value.
    assert_eq!((comparison.equal, comparison.values), (3, 7));
    let paths: Vec<&str> = comparison
        .mismatches
        .iter()
        .map(|m| m.pattern.as_str())
        .collect();
    assert_eq!(paths, ["data[*]", "data[*]"]);
    assert!(comparison.failures().len() == 2, "records and values short");
}

#[test]
fn a_file_not_served_counts_as_nothing_matched_and_fails() {
    let comparison = compare_file(Shape::Keyed, br#"{"a": {"n": 1}}"#, 404, b"{}");
    assert_eq!((comparison.records_present, comparison.equal), (0, 0));
    assert_eq!(comparison.values, 1);
    assert!(comparison.failures()[0].contains("HTTP 404"));
}

#[test]
fn upstream_csv_is_read_as_its_template_writes_it() {
    let upstream = "id;name;mission;start;status;incubator;stats;link;repository;accessibility;contact;incubators\n\
        \n\
        a;\"Nom \"cité\"\";\"Une mission\";2020-01-01;construction;dinum;null;null;null;\"\";x@y.fr;\"dinum\"\n\
        b;\"B; bis\";\"M\";2020-01-01;construction;dinum;null;null;null;\"\";;\"dinum\"\n\
        c;\"C\";\"Deux\n\
        lignes\";2020-01-01;alumni;dinum;null;null;null;\"\";;\"dinum\"\n";
    let ours = "id;name;mission;start;status;incubator;stats;link;repository;accessibility;contact;incubators\r\n\
        a;\"Nom \"\"cité\"\"\";Une mission;2020-01-01;construction;dinum;null;null;null;;x@y.fr;dinum\r\n\
        b;\"B; bis\";M;2020-01-01;construction;dinum;null;null;null;;;dinum\r\n\
        c;C;\"Deux\nlignes\";2020-01-01;success;dinum;null;null;null;;;dinum\r\n";
    let comparison = compare_file(Shape::Csv, upstream.as_bytes(), 200, ours.as_bytes());
    assert!(
        comparison.notes[0].contains("3 line(s)"),
        "{:?}",
        comparison.notes
    );
    // The header and row `a`, equal; `b` and `c`, which upstream breaks, neither compared nor extra.
    assert_eq!(
        (comparison.records_present, comparison.upstream_records),
        (1, 1)
    );
    assert_eq!((comparison.equal, comparison.values), (24, 24));
    assert!(comparison.failures().is_empty());
}

#[test]
fn upstream_csv_values_are_compared_formula_safe_as_ours_publishes_them() {
    let header = "id;name;mission;start;status;incubator;stats;link;repository;accessibility;contact;incubators";
    let upstream = format!(
        "{header}\n=x;\"=HYPERLINK(1)\";\"-moins\";2020-01-01;construction;@inc;null;null;null;\"+\";-a@b.fr;\"@inc\"\n"
    );
    let ours = format!(
        "{header}\r\n'=x;'=HYPERLINK(1);'-moins;2020-01-01;construction;'@inc;null;null;null;'+;'-a@b.fr;'@inc\r\n"
    );
    let comparison = compare_file(Shape::Csv, upstream.as_bytes(), 200, ours.as_bytes());
    assert_eq!(
        (comparison.records_present, comparison.upstream_records),
        (1, 1)
    );
    assert_eq!((comparison.equal, comparison.values), (24, 24));
    assert!(comparison.failures().is_empty());
}

#[test]
fn long_strings_are_shown_from_their_first_difference() {
    let same = "x".repeat(100);
    let (upstream, ours, detail) = shown_pair(
        Some(&Node::String(format!("{same}A"))),
        Some(&Node::String(format!("{same}B"))),
    );
    assert_eq!(upstream, format!("…\"{}A\"", "x".repeat(CONTEXT_CHARS)));
    assert_eq!(ours, format!("…\"{}B\"", "x".repeat(CONTEXT_CHARS)));
    assert_eq!(detail, " (first difference at character 100)");
    assert_eq!(starred_indices("phases[12].start"), "phases[*].start");
}
