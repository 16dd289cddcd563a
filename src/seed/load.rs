//! Reading seed files from disk and writing a checked dataset to the database.

use std::path::{Path, PathBuf};

use diesel::Connection;
use diesel::result::QueryResult;

use super::Report;
use super::format::SeedKind;
use super::validate::{Dataset, SeedFile, validate};
use crate::db::Keyed;
use crate::db::revision::Revision;
use crate::db::{self, DbConnection};

/// A path that cannot be read as seed files.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a seed file; expected one of {expected}")]
    UnknownFile { path: String, expected: String },
    #[error("{path}: holds no seed file ({expected})")]
    EmptyFolder { path: String, expected: String },
}

fn expected_names() -> String {
    SeedKind::ALL.map(SeedKind::file_name).join(", ")
}

/// Reads the seed files named by `paths`: a folder stands for the seed files it holds.
pub fn read_paths(paths: &[PathBuf]) -> Result<Vec<SeedFile>, ReadError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            for kind in SeedKind::ALL {
                let candidate = path.join(kind.file_name());
                if candidate.is_file() {
                    files.push(read_file(&candidate, kind)?);
                }
            }
            if files.len() == before {
                return Err(ReadError::EmptyFolder {
                    path: path.display().to_string(),
                    expected: expected_names(),
                });
            }
        } else {
            let kind = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(SeedKind::from_file_name)
                .ok_or_else(|| ReadError::UnknownFile {
                    path: path.display().to_string(),
                    expected: expected_names(),
                })?;
            files.push(read_file(path, kind)?);
        }
    }
    Ok(files)
}

fn read_file(path: &Path, kind: SeedKind) -> Result<SeedFile, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(SeedFile {
        path: path.display().to_string(),
        kind,
        text,
    })
}

/// How many records of each kind were written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub sources: usize,
    pub phases: usize,
    pub organisations: usize,
    pub incubators: usize,
    pub startups: usize,
    pub metrics: usize,
    pub observations: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sources, {} phases, {} organisations, {} incubators, {} startups, {} metrics, {} observations",
            self.sources,
            self.phases,
            self.organisations,
            self.incubators,
            self.startups,
            self.metrics,
            self.observations
        )
    }
}

/// Checks `files` against themselves and the database, then writes what passed in one
/// transaction: either all of it is stored or none.
pub fn import(conn: &mut DbConnection, files: &[SeedFile]) -> QueryResult<(Counts, Report)> {
    conn.transaction(|conn| {
        let known = db::stored_ids(conn)?;
        let (dataset, report) = validate(files, known);
        let counts = insert(conn, &dataset)?;
        if counts != Counts::default() {
            Revision::bump(conn)?;
        }
        Ok((counts, report))
    })
}

/// Loads the embedded seeds when the database holds no phase and no startup yet; `None` when
/// it already had data.
pub fn seed_if_empty(conn: &mut DbConnection) -> QueryResult<Option<(Counts, Report)>> {
    conn.transaction(|conn| {
        let known = db::stored_ids(conn)?;
        if !known.phases.is_empty() || !known.startups.is_empty() {
            return Ok(None);
        }
        import(conn, &super::embedded()).map(Some)
    })
}

fn insert(conn: &mut DbConnection, dataset: &Dataset) -> QueryResult<Counts> {
    let mut counts = Counts::default();
    for source in &dataset.sources {
        source.insert(conn)?;
        counts.sources += 1;
    }
    for phase in &dataset.phases {
        phase.insert(conn)?;
        counts.phases += 1;
    }
    for organisation in &dataset.organisations {
        organisation.insert(conn)?;
        counts.organisations += 1;
    }
    for incubator in &dataset.incubators {
        incubator.insert(conn)?;
        counts.incubators += 1;
    }
    for startup in &dataset.startups {
        startup.insert(conn)?;
        counts.startups += 1;
    }
    for (metric, observations) in &dataset.metrics {
        metric.insert(conn)?;
        counts.metrics += 1;
        for observation in observations {
            observation.insert(conn)?;
            counts.observations += 1;
        }
    }
    Ok(counts)
}
