//! Writes a checked content tree to the database in one transaction: new records are created,
//! changed ones updated, unchanged ones left alone, and — with `prune` — records whose file
//! disappeared are deleted. Every write is recorded in the change feed, as the command
//! `import`, with the item as its GET route shows it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use chrono::NaiveDate;
use diesel::result::QueryResult;
use indicatif::ProgressBar;
use serde::Serialize;

use super::{
    ContentFile, ContentKind, ContentSet, Stored, check_beside, missing, reference_phases,
    tree_problem,
};
use crate::db::changes::{Action, Author, Change, write_transaction};
use crate::db::incubators::Incubator;
use crate::db::metrics::Metric;
use crate::db::organisations::Organisation;
use crate::db::startups::{Startup, StartupGraph, derive_phase_links};
use crate::db::{self, DbConnection};
use crate::db::{Keyed, Rewritable};
use crate::db::{sources_kept, tallies};
use crate::domain::source::SourceDoc;
use crate::representation::incubator::IncubatorResponse;
use crate::representation::organisation::OrganisationResponse;
use crate::representation::startup::StartupRecord;
use crate::seed::Severity;

/// The name the change feed gives as the author of an import's changes.
pub const IMPORT_TOKEN: &str = "import";

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Delete the records whose file is no longer in the tree.
    pub prune: bool,
    /// Write nothing when any file is rejected.
    pub strict: bool,
}

/// What an import did to one kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

impl Tally {
    fn count(&mut self, action: Option<Action>) {
        match action {
            Some(Action::Create) => self.created += 1,
            Some(Action::Update) => self.updated += 1,
            Some(Action::Delete) => self.deleted += 1,
            None => self.unchanged += 1,
        }
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} deleted, {} unchanged",
            self.created, self.updated, self.deleted, self.unchanged
        )
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub set: ContentSet,
    pub organisations: Tally,
    pub incubators: Tally,
    pub startups: Tally,
    pub phases_added: usize,
}

impl Outcome {
    /// The summary line.
    pub fn summary(&self) -> String {
        format!(
            "import: {}; startups {}; incubators {}; organisations {}; {} error(s), {} warning(s)",
            self.set.files,
            self.startups,
            self.incubators,
            self.organisations,
            self.set.report.errors(),
            self.set.report.warnings()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("cannot record the state of {0}: {1}")]
    State(String, serde_json::Error),
    /// `--strict` and a file was rejected: the transaction was rolled back.
    #[error("{} file(s) rejected; nothing was imported (--strict)", .0.set.files.rejected)]
    Rejected(Box<Outcome>),
}

/// Checks `files` against the database and writes them in one write transaction.
pub fn import(
    conn: &mut DbConnection,
    files: &[ContentFile],
    options: Options,
    progress: &ProgressBar,
    today: NaiveDate,
) -> Result<Outcome, SyncError> {
    write_transaction(conn, |conn| {
        tallies::counted_after(conn, |conn| {
            write_tree(conn, files, options, progress, today)
        })
    })
}

/// What [`import`] does inside its transaction.
fn write_tree(
    conn: &mut DbConnection,
    files: &[ContentFile],
    options: Options,
    progress: &ProgressBar,
    today: NaiveDate,
) -> Result<Outcome, SyncError> {
    let phases_added = add_reference_phases(conn)?;
    let stored = db::stored_ids(conn)?;
    let kept = if options.prune {
        Stored::Pruned
    } else {
        Stored::Kept
    };
    let set = check_beside(files, stored.clone(), kept);
    let mut outcome = Outcome {
        phases_added,
        ..Outcome::default()
    };
    progress.set_length(set.startups.len() as u64 + set.incubators.len() as u64);
    // Startups that show a renamed incubator or sponsor: each gets a change in the feed,
    // unless the import records one for it anyway.
    let mut shown: BTreeSet<String> = BTreeSet::new();
    for row in &set.organisations {
        let named = Organisation::find(conn, &row.id)?.map(|o| (o.name, o.acronym));
        let action = sync_organisation(conn, row)?;
        if action == Some(Action::Update) && named != Some((row.name.clone(), row.acronym.clone()))
        {
            shown.extend(Startup::sponsored_by(conn, &row.id)?);
        }
        outcome.organisations.count(action);
    }
    for row in &set.incubators {
        let titled = Incubator::find(conn, &row.id)?.map(|i| i.title);
        let action = sync_incubator(conn, row, today)?;
        if action == Some(Action::Update) && titled.as_ref() != Some(&row.title) {
            shown.extend(Startup::naming_incubator(conn, &row.id)?);
        }
        outcome.incubators.count(action);
        progress.inc(1);
    }
    // A startup the database did not hold before is new: nothing to compare it with, so
    // runs of new ones are written many at a time, each with its source document. Changes
    // stay numbered in tree order.
    let sources: HashMap<&str, &SourceDoc> = (set.sources.iter())
        .filter(|(kind, _, _)| *kind == ContentKind::Startup)
        .map(|(_, id, doc)| (id.as_str(), doc))
        .collect();
    let mut new: Vec<&StartupGraph> = Vec::with_capacity(STARTUPS_PER_BATCH);
    let mut ahead = StoredAhead::new(
        (set.startups.iter())
            .map(|graph| &graph.startup.id)
            .filter(|id| stored.startups.contains(*id)),
    );
    for graph in &set.startups {
        if stored.startups.contains(&graph.startup.id) {
            outcome.startups.created += create_startups(conn, &mut new, &sources, progress, today)?;
            let before = ahead.take(conn, &graph.startup.id)?;
            let action = sync_startup(conn, graph, before, today)?;
            if action.is_some() {
                shown.remove(&graph.startup.id);
            }
            outcome.startups.count(action);
            progress.inc(1);
        } else {
            new.push(graph);
            if new.len() == STARTUPS_PER_BATCH {
                outcome.startups.created +=
                    create_startups(conn, &mut new, &sources, progress, today)?;
            }
        }
    }
    outcome.startups.created += create_startups(conn, &mut new, &sources, progress, today)?;
    for id in &shown {
        record_startup(conn, id, Action::Update, today)?;
    }
    keep_sources(conn, &set, &stored.startups)?;
    outcome.set = set;
    if options.prune {
        prune(conn, &stored, &mut outcome)?;
    }
    if options.strict && outcome.set.files.rejected > 0 {
        return Err(SyncError::Rejected(Box::new(outcome)));
    }
    Ok(outcome)
}

/// Keeps what each loaded file held beside its record, and hides the hidden incubators. The
/// startups the database did not hold before the import (not among `stored_startups`) were
/// written with their document ([`create_startups`]) and are not read again.
fn keep_sources(
    conn: &mut DbConnection,
    set: &ContentSet,
    stored_startups: &HashSet<String>,
) -> QueryResult<()> {
    for kind in ContentKind::ALL {
        let docs: Vec<&(ContentKind, String, SourceDoc)> = (set.sources.iter())
            .filter(|(k, id, _)| {
                *k == kind && (kind != ContentKind::Startup || stored_startups.contains(id))
            })
            .collect();
        for chunk in docs.chunks(1000) {
            let ids: Vec<String> = chunk.iter().map(|(_, id, _)| id.clone()).collect();
            let stored = sources_kept::read_many(conn, kind, &ids)?;
            for (_, id, doc) in chunk {
                if stored.get(id) != Some(doc) {
                    sources_kept::write(conn, kind, id, Some(doc))?;
                }
            }
        }
    }
    for incubator in &set.incubators {
        Incubator::set_hidden(conn, &incubator.id, set.hidden.contains(&incubator.id))?;
    }
    Ok(())
}

/// Writes the phases of the reference list that the database lacks; how many.
fn add_reference_phases(conn: &mut DbConnection) -> QueryResult<usize> {
    let stored = db::stored_ids(conn)?.phases;
    let mut added = 0;
    for phase in reference_phases() {
        if !stored.contains(&phase.id) {
            phase.insert(conn)?;
            added += 1;
        }
    }
    Ok(added)
}

fn record<T: Serialize>(
    conn: &mut DbConnection,
    kind: ContentKind,
    id: &str,
    action: Action,
    state: Option<T>,
) -> Result<Option<Action>, SyncError> {
    let state = state
        .map(|s| serde_json::to_value(s))
        .transpose()
        .map_err(|e| SyncError::State(format!("{} {id}", kind.resource()), e))?;
    Change::record(
        conn,
        (IMPORT_TOKEN, Author::Import),
        kind.resource(),
        id,
        action,
        state.as_ref(),
    )?;
    Ok(Some(action))
}

fn sync_organisation(
    conn: &mut DbConnection,
    row: &Organisation,
) -> Result<Option<Action>, SyncError> {
    let stored = Organisation::find(conn, &row.id)?;
    let Some(action) = write_row(conn, row, stored)? else {
        return Ok(None);
    };
    let state = OrganisationResponse::read(conn, &row.id)?;
    record(conn, ContentKind::Organisation, &row.id, action, state)
}

fn sync_incubator(
    conn: &mut DbConnection,
    row: &Incubator,
    today: NaiveDate,
) -> Result<Option<Action>, SyncError> {
    let stored = Incubator::find(conn, &row.id)?;
    let Some(action) = write_row(conn, row, stored)? else {
        return Ok(None);
    };
    let state = IncubatorResponse::read(conn, &row.id, today)?;
    record(conn, ContentKind::Incubator, &row.id, action, state)
}

/// Writes `row` over `stored`, the row of the same id if there is one: nothing when they are
/// equal, else an update or an insert. What was done.
fn write_row<T: PartialEq + Rewritable>(
    conn: &mut DbConnection,
    row: &T,
    stored: Option<T>,
) -> QueryResult<Option<Action>> {
    Ok(match stored {
        Some(stored) if stored == *row => None,
        Some(_) => {
            row.rewrite(conn)?;
            Some(Action::Update)
        }
        None => {
            row.insert(conn)?;
            Some(Action::Create)
        }
    })
}

/// How many new startups an import writes, reads back and records at a time.
const STARTUPS_PER_BATCH: usize = 500;

/// Writes the new startups gathered in `graphs`, with their documents among `sources`, and
/// records their creation, each with its state as GET shows it; empties `graphs` and says how
/// many it wrote.
fn create_startups(
    conn: &mut DbConnection,
    graphs: &mut Vec<&StartupGraph>,
    sources: &HashMap<&str, &SourceDoc>,
    progress: &ProgressBar,
    today: NaiveDate,
) -> Result<usize, SyncError> {
    if graphs.is_empty() {
        return Ok(0);
    }
    StartupGraph::insert_many(conn, graphs, |id| sources.get(id).map(|doc| doc.to_json()))?;
    let ids: Vec<String> = graphs.iter().map(|g| g.startup.id.clone()).collect();
    let mut records: HashMap<String, StartupRecord> = StartupRecord::read_many(conn, &ids)?
        .into_iter()
        .map(|r| (r.id().to_owned(), r))
        .collect();
    let mut states = Vec::with_capacity(ids.len());
    for id in ids {
        let state = (records.remove(&id))
            .map(|r| serde_json::to_value(r.response(today)))
            .transpose()
            .map_err(|e| SyncError::State(format!("startup {id}"), e))?;
        states.push((id, state));
    }
    Change::record_many(
        conn,
        (IMPORT_TOKEN, Author::Import),
        ContentKind::Startup.resource(),
        Action::Create,
        &states,
    )?;
    let written = graphs.len();
    progress.inc(written as u64);
    graphs.clear();
    Ok(written)
}

/// The stored startups an import compares the tree's with, read `STARTUPS_PER_BATCH` at a
/// time, in the order the import meets them: a query per table for a batch, where reading each
/// startup on its own took one per table and startup.
struct StoredAhead<'a> {
    /// The ids of the tree's startups that the database held before the import, in tree order.
    ids: Vec<&'a String>,
    /// How many of `ids` were read.
    read: usize,
    graphs: HashMap<String, StartupGraph>,
}

impl<'a> StoredAhead<'a> {
    fn new(ids: impl Iterator<Item = &'a String>) -> Self {
        Self {
            ids: ids.collect(),
            read: 0,
            graphs: HashMap::new(),
        }
    }

    /// Startup `id` as the database holds it, read with the next batch when it was not read
    /// yet. The import takes each id once, in the order `new` was given them, before it writes
    /// that startup; an id taken out of that order is read on its own.
    fn take(&mut self, conn: &mut DbConnection, id: &str) -> QueryResult<Option<StartupGraph>> {
        if !self.graphs.contains_key(id) && self.ids.get(self.read).is_some_and(|next| *next == id)
        {
            let end = (self.read + STARTUPS_PER_BATCH).min(self.ids.len());
            let batch: Vec<String> = (self.ids[self.read..end].iter())
                .map(|id| (*id).clone())
                .collect();
            self.read = end;
            self.graphs.extend(StartupGraph::find_many(conn, &batch)?);
        }
        match self.graphs.remove(id) {
            Some(graph) => Ok(Some(graph)),
            None => Ok(StartupGraph::find_many(conn, &[id.to_owned()])?.remove(id)),
        }
    }
}

/// Writes `graph` over `stored`, the startup of the same id as the database held it, if any.
fn sync_startup(
    conn: &mut DbConnection,
    graph: &StartupGraph,
    stored: Option<StartupGraph>,
    today: NaiveDate,
) -> Result<Option<Action>, SyncError> {
    let id = &graph.startup.id;
    let Some(stored) = stored else {
        graph.insert(conn)?;
        return record_startup(conn, id, Action::Create, today);
    };
    if same_startup(&stored, graph) {
        return Ok(None);
    }
    graph.rewrite(conn)?;
    record_startup(conn, id, Action::Update, today)
}

/// Records a write of startup `id` with its state as GET shows it.
fn record_startup(
    conn: &mut DbConnection,
    id: &str,
    action: Action,
    today: NaiveDate,
) -> Result<Option<Action>, SyncError> {
    let state = StartupRecord::read(conn, id)?.map(|r| r.response(today));
    record(conn, ContentKind::Startup, id, action, state)
}

/// Whether writing `new` would leave `stored` as it is: the same columns (derived ones
/// included, the write time aside) and the same relations.
fn same_startup(stored: &StartupGraph, new: &StartupGraph) -> bool {
    let mut startup = new.startup.clone();
    let mut phases = new.relations.phases.clone();
    derive_phase_links(&mut phases).apply(&mut startup);
    startup.updated_at = stored.startup.updated_at;
    let (old, new_relations) = (&stored.relations, &new.relations);
    startup == stored.startup
        && phases == old.phases
        && new_relations.co_incubators == old.co_incubators
        && new_relations.sponsors == old.sponsors
        && new_relations.usertypes == old.usertypes
        && new_relations.thematiques == old.thematiques
        && new_relations.techno == old.techno
        && new_relations.events == old.events
}

/// Deletes the records whose file is gone; one still referenced (a startup with metrics, an
/// incubator hosting startups or named by a token, an organisation sponsoring or owning) is
/// kept, with a warning.
fn prune(
    conn: &mut DbConnection,
    stored: &db::IdSets,
    outcome: &mut Outcome,
) -> Result<(), SyncError> {
    let present = outcome.set.present.clone();
    let report = &mut outcome.set.report;
    for id in missing(&stored.startups, &present.startups) {
        if !Metric::of_startup(conn, &id)?.is_empty() {
            tree_problem(
                report,
                Severity::Warning,
                ContentKind::Startup,
                &id,
                "no longer in the tree, but it has metrics; kept".into(),
            );
            continue;
        }
        Startup::delete(conn, &id)?;
        outcome.startups.count(record::<()>(
            conn,
            ContentKind::Startup,
            &id,
            Action::Delete,
            None,
        )?);
    }
    for id in missing(&stored.incubators, &present.incubators) {
        let references = Incubator::references(conn, &id)?;
        if references.startups > 0 || !references.tokens.is_empty() {
            tree_problem(
                report,
                Severity::Warning,
                ContentKind::Incubator,
                &id,
                format!(
                    "no longer in the tree, but it hosts {} startup(s) and {} token(s) name it; kept",
                    references.startups,
                    references.tokens.len()
                ),
            );
            continue;
        }
        Incubator::delete(conn, &id)?;
        outcome.incubators.count(record::<()>(
            conn,
            ContentKind::Incubator,
            &id,
            Action::Delete,
            None,
        )?);
    }
    for id in missing(&stored.organisations, &present.organisations) {
        if !Organisation::involvement(conn, &id)?.is_empty() {
            tree_problem(
                report,
                Severity::Warning,
                ContentKind::Organisation,
                &id,
                "no longer in the tree, but it still owns an incubator or sponsors a startup; kept"
                    .into(),
            );
            continue;
        }
        Organisation::delete(conn, &id)?;
        outcome.organisations.count(record::<()>(
            conn,
            ContentKind::Organisation,
            &id,
            Action::Delete,
            None,
        )?);
    }
    Ok(())
}
