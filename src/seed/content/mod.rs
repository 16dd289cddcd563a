//! The beta.gouv.fr content tree: a folder holding `_startups/`, `_incubators/`,
//! `_organisations/` and `_phases/`, one Markdown file with YAML front matter per record.
//!
//! Each file is read on its own ([`front_matter`]), mapped to the project's rows
//! ([`mapping`]), and either loaded or reported with its path, field and reason: one bad file
//! never stops the others. A file is left out (an error) only when it cannot be read at all;
//! what the model cannot hold of a file it keeps is a warning, and the file's own text is kept
//! beside its record. [`sync`] then writes the result in one transaction.
//!
//! `_phases/` is not imported: phases are the project's own reference list (`seeds/phases.yaml`),
//! written first when the database lacks them; older names met in startups are renamed
//! ([`mapping::PHASE_RENAMES`]).

pub mod front_matter;
pub mod mapping;
pub mod sync;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use super::load::ReadError;
use super::problems::{Problem, Report, Severity};
use super::validate::At;
use crate::db::IdSets;
use crate::db::incubators::Incubator;
use crate::db::organisations::Organisation;
use crate::db::phases::Phase;
use crate::db::startups::StartupGraph;
use crate::domain::ids::{check_id, id_key};
use crate::domain::source::SourceDoc;

/// The kinds of record of the tree, in the order references need them.
pub use crate::domain::source::RecordKind as ContentKind;

/// One Markdown file of the tree, read into memory.
#[derive(Debug, Clone)]
pub struct ContentFile {
    /// The path shown in problems.
    pub path: String,
    pub kind: ContentKind,
    /// The file name without `.md`: the record's id.
    pub id: String,
    /// Whether the file name lacks the `.md` suffix: beta.gouv.fr's site reads such a file all
    /// the same, under its whole name, and so do we, with a warning.
    pub unsuffixed: bool,
    pub bytes: Vec<u8>,
}

/// Whether `path` is a content tree rather than seed files: a folder with `_startups/`.
pub fn is_content_tree(path: &Path) -> bool {
    path.join(ContentKind::Startup.folder()).is_dir()
}

/// Reads every file of the tree's record folders, in kind then name order: `ID.md`, and also a
/// file without the `.md` suffix, which beta.gouv.fr's site publishes under its whole name.
/// Hidden files (`.gitkeep`) and folders are not records.
pub fn read_tree(root: &Path) -> Result<Vec<ContentFile>, ReadError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReadError::Io { path, source }
    };
    let mut files = Vec::new();
    for kind in ContentKind::ALL {
        let folder = root.join(kind.folder());
        if !folder.is_dir() {
            continue;
        }
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(&folder).map_err(io(&folder))? {
            let path = entry.map_err(io(&folder))?.path();
            let hidden = path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'));
            if path.is_file() && !hidden {
                paths.push(path);
            }
        }
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (id, unsuffixed) = match name.strip_suffix(".md") {
                Some(id) => (id.to_owned(), false),
                None => (name, true),
            };
            files.push(ContentFile {
                bytes: std::fs::read(&path).map_err(io(&path))?,
                path: path.display().to_string(),
                kind,
                id,
                unsuffixed,
            });
        }
    }
    Ok(files)
}

/// What became of each file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Loaded with no problem.
    pub loaded: usize,
    /// Loaded, with warnings or with values left out.
    pub warned: usize,
    /// Left out as a whole.
    pub rejected: usize,
}

impl fmt::Display for FileCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} file(s) loaded, {} loaded with warnings, {} rejected",
            self.loaded, self.warned, self.rejected
        )
    }
}

/// The records of a tree that passed, with what the check found.
#[derive(Debug, Clone, Default)]
pub struct ContentSet {
    pub organisations: Vec<Organisation>,
    pub incubators: Vec<Incubator>,
    pub startups: Vec<StartupGraph>,
    /// The ids of every file of the tree, loaded or not: pruning never deletes a record whose
    /// file is still there.
    pub present: IdSets,
    /// The hidden incubators' ids.
    pub hidden: HashSet<String>,
    /// What each loaded file held, for the fields the model lacks and the exact text.
    pub sources: Vec<(ContentKind, String, SourceDoc)>,
    pub files: FileCounts,
    pub report: Report,
}

/// The project's phase reference list, from the embedded seeds.
pub fn reference_phases() -> Vec<Phase> {
    let files: Vec<_> = super::embedded()
        .into_iter()
        .filter(|f| f.kind == super::SeedKind::Phases)
        .collect();
    super::validate(&files, super::KnownIds::default()).0.phases
}

/// What becomes of the stored records an import of a tree leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// They stay: a file whose id equals a stored id but for case or Unicode form (`FabNum-MI`
    /// in the tree, `fabnum-mi` stored) would make a second record of it, and is left out.
    Kept,
    /// Those whose file is gone are deleted (`--prune`): such a file replaces the stored record.
    Pruned,
}

/// Checks the files of a tree; references resolve against the tree itself, `known` (ids
/// already stored) and the reference phases.
pub fn check(files: &[ContentFile], known: IdSets) -> ContentSet {
    check_beside(files, known, Stored::Pruned)
}

/// [`check`], for an import into a database holding `known`, whose records stay or go as
/// `stored` says.
pub fn check_beside(files: &[ContentFile], mut known: IdSets, stored: Stored) -> ContentSet {
    let mut claimed = HashMap::new();
    if stored == Stored::Kept {
        for (kind, ids) in [
            (ContentKind::Organisation, &known.organisations),
            (ContentKind::Incubator, &known.incubators),
            (ContentKind::Startup, &known.startups),
        ] {
            for id in ids {
                claimed.insert((kind, id_key(id)), Claim::Stored(id.clone()));
            }
        }
    }
    known
        .phases
        .extend(reference_phases().into_iter().map(|p| p.id));
    let mut set = ContentSet::default();
    let mut files: Vec<&ContentFile> = files.iter().collect();
    files.sort_by_key(|f| f.kind);
    for file in files {
        let before = set.report.problems.len();
        let loaded = check_file(file, &mut known, &mut claimed, &mut set);
        if loaded {
            // The file is kept, and its text with it (its source document): what the model
            // could not hold of it (a reference to nothing, an impossible date) is a warning.
            // An error is what leaves a file out.
            for problem in &mut set.report.problems[before..] {
                problem.severity = Severity::Warning;
            }
        }
        let troubled = set.report.problems.len() > before;
        match (loaded, troubled) {
            (false, _) => set.files.rejected += 1,
            (true, true) => set.files.warned += 1,
            (true, false) => set.files.loaded += 1,
        }
    }
    set
}

/// Who holds an id's [`id_key`] in a check.
enum Claim {
    /// A file read before, by its path.
    File(String),
    /// A record stored in the database, by its id.
    Stored(String),
}

/// Checks one file and keeps its record in `set`; false when the file is left out. `claimed`
/// holds, for each kind, the [`id_key`]s of the files read so far (and of the stored records
/// that stay).
fn check_file(
    file: &ContentFile,
    known: &mut IdSets,
    claimed: &mut HashMap<(ContentKind, String), Claim>,
    set: &mut ContentSet,
) -> bool {
    let present = match file.kind {
        ContentKind::Organisation => &mut set.present.organisations,
        ContentKind::Incubator => &mut set.present.incubators,
        ContentKind::Startup => &mut set.present.startups,
    };
    present.insert(file.id.clone());
    let mut at = At {
        file: &file.path,
        record: None,
        report: &mut set.report,
    };
    if file.unsuffixed {
        at.problem(
            Severity::Warning,
            "",
            format!(
                "the file name has no `.md` suffix; read all the same, as `{}`, as beta.gouv.fr publishes it",
                file.id
            ),
        );
    }
    let id = match check_id(&file.id) {
        Ok(id) => id,
        Err(e) => {
            at.error("id", format!("{e}; the file is left out"));
            return false;
        }
    };
    if id != file.id {
        at.problem(
            Severity::Warning,
            "id",
            format!("the file name is not in Unicode NFC; stored as `{id}`"),
        );
    }
    let key = (file.kind, id_key(&id));
    let clash = match claimed.get(&key) {
        Some(Claim::File(path)) => Some(format!("as {path}")),
        Some(Claim::Stored(stored)) if *stored != id => Some(format!(
            "as the stored `{stored}` (import with --prune to replace it)"
        )),
        _ => None,
    };
    if let Some(other) = clash {
        at.error(
            "id",
            format!(
                "`{id}` names the same {} {other}: ids equal but for case or Unicode form; \
                 the file is left out",
                file.kind.resource()
            ),
        );
        return false;
    }
    claimed.insert(key, Claim::File(file.path.clone()));
    let text = match std::str::from_utf8(&file.bytes) {
        Ok(text) => text,
        Err(e) => {
            at.error("", format!("not UTF-8 text ({e}); the file is left out"));
            return false;
        }
    };
    let doc = match front_matter::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            at.error("", format!("{e}; the file is left out"));
            return false;
        }
    };
    match file.kind {
        ContentKind::Organisation => {
            let row = mapping::organisation(&mut at, &id, &doc);
            known.organisations.insert(row.id.clone());
            set.organisations.push(row);
        }
        ContentKind::Incubator => {
            let row = mapping::incubator(&mut at, &id, &doc, &known.organisations);
            if mapping::is_hidden(&doc) {
                set.hidden.insert(row.id.clone());
            }
            known.incubators.insert(row.id.clone());
            set.incubators.push(row);
        }
        ContentKind::Startup => {
            let refs = mapping::Known {
                phases: &known.phases,
                organisations: &known.organisations,
                incubators: &known.incubators,
            };
            set.startups
                .push(mapping::startup(&mut at, &id, &doc, &refs));
        }
    }
    set.sources
        .push((file.kind, id, front_matter::source_doc(&doc)));
    true
}

/// A problem about the tree as a whole rather than one file (e.g. a record kept by `--prune`).
pub(crate) fn tree_problem(
    report: &mut Report,
    severity: Severity,
    kind: ContentKind,
    id: &str,
    message: String,
) {
    report.problems.push(Problem {
        severity,
        file: format!("(database) {}", kind.resource()),
        record: Some(id.to_owned()),
        field: String::new(),
        message,
    });
}

/// Ids in `stored` that are not in `present`, sorted.
pub(crate) fn missing(stored: &HashSet<String>, present: &HashSet<String>) -> Vec<String> {
    let mut ids: Vec<String> = stored.difference(present).cloned().collect();
    ids.sort();
    ids
}
