//! Turns seed files into rows, reporting every problem with its file, record and field.
//!
//! One bad value never costs more than it must: a bad date leaves out its phase entry or
//! observation, a bad record leaves out that record, and the rest loads. As for a content tree
//! ([`super::content`]), an error is what leaves a record (or a file) out: what a record that
//! loads could not keep of itself (an impossible date, a reference to nothing) is a warning.

use std::collections::{BTreeSet, HashSet};

use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use super::format::*;
use super::problems::{Problem, Report, Severity};
use crate::db::incubators::Incubator;
use crate::db::metrics::{Metric, Observation, Source};
use crate::db::organisations::Organisation;
use crate::db::phases::Phase;
use crate::db::startups::{EventRow, PhaseRow, Relations, Startup, StartupGraph};
use crate::domain::dates::parse_date;
use crate::domain::phases::{PhaseSpan, validate_history};
use crate::domain::text::repair_double_decoded;

/// A seed file read into memory.
#[derive(Debug, Clone)]
pub struct SeedFile {
    /// The path shown in problems.
    pub path: String,
    pub kind: SeedKind,
    pub text: String,
}

/// The records that passed validation, ready to insert in this order.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub sources: Vec<Source>,
    pub phases: Vec<Phase>,
    pub organisations: Vec<Organisation>,
    pub incubators: Vec<Incubator>,
    pub startups: Vec<StartupGraph>,
    pub metrics: Vec<(Metric, Vec<Observation>)>,
}

/// Ids that references may point to: those of the files, plus those already in a database.
pub type KnownIds = crate::db::IdSets;

pub const PHASE_KINDS: [&str; 2] = ["active", "exit"];

/// Validates `files`, resolving references against their own records and `existing`.
pub fn validate(files: &[SeedFile], existing: KnownIds) -> (Dataset, Report) {
    let mut files: Vec<&SeedFile> = files.iter().collect();
    files.sort_by_key(|f| f.kind);
    let mut checker = Checker {
        known: existing,
        dataset: Dataset::default(),
        report: Report::default(),
    };
    for file in files {
        checker.file(file);
    }
    (checker.dataset, checker.report)
}

struct Checker {
    known: KnownIds,
    dataset: Dataset,
    report: Report,
}

/// Where problems of the record being checked are reported; shared with the reader of the
/// beta.gouv.fr content tree ([`super::content`]).
pub(crate) struct At<'a> {
    pub(crate) file: &'a str,
    pub(crate) record: Option<String>,
    pub(crate) report: &'a mut Report,
}

impl At<'_> {
    pub(crate) fn problem(&mut self, severity: Severity, field: &str, message: impl Into<String>) {
        self.report.problems.push(Problem {
            severity,
            file: self.file.to_owned(),
            record: self.record.clone(),
            field: field.to_owned(),
            message: message.into(),
        });
    }

    pub(crate) fn error(&mut self, field: &str, message: impl Into<String>) {
        self.problem(Severity::Error, field, message);
    }

    /// Text as stored, or repaired (with a warning) where its UTF-8 was decoded twice.
    pub(crate) fn text(&mut self, field: &str, value: String) -> String {
        match repair_double_decoded(&value) {
            Some(repaired) => {
                self.problem(
                    Severity::Warning,
                    field,
                    format!("text was UTF-8 decoded twice; repaired `{value}` to `{repaired}`"),
                );
                repaired
            }
            None => value,
        }
    }

    pub(crate) fn optional_text(&mut self, field: &str, value: Option<String>) -> Option<String> {
        value
            .map(|v| self.text(field, v))
            .filter(|v| !v.trim().is_empty())
    }

    /// A date, or nothing (reported, with `consequence`: what is left out because of it).
    pub(crate) fn date(
        &mut self,
        field: &str,
        value: &str,
        consequence: &str,
    ) -> Option<NaiveDate> {
        parse_date(value)
            .map_err(|e| self.error(field, format!("{e}; {consequence}")))
            .ok()
    }

    /// An `http(s)` URL, or nothing (reported) when the value is something else.
    pub(crate) fn url(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = self.optional_text(field, value)?;
        if value.starts_with("https://") || value.starts_with("http://") {
            Some(value)
        } else {
            self.error(
                field,
                format!("`{value}` is not an http(s) URL; the field is left empty"),
            );
            None
        }
    }

    /// Whether `id` may identify a record ([`crate::domain::ids::check_id`]).
    pub(crate) fn id(&mut self, id: &str) -> bool {
        match crate::domain::fields::check_id(id) {
            Ok(()) => true,
            Err(e) => {
                self.error("id", format!("{e}; record left out"));
                false
            }
        }
    }
}

impl Checker {
    fn file(&mut self, file: &SeedFile) {
        let entries: Vec<serde_norway::Value> = match serde_norway::from_str(&file.text) {
            Ok(serde_norway::Value::Null) => Vec::new(),
            Ok(serde_norway::Value::Sequence(entries)) => entries,
            Ok(_) => {
                return self.file_error(file, "the file must hold a YAML list of records".into());
            }
            Err(e) => return self.file_error(file, format!("not valid YAML: {e}")),
        };
        for (index, entry) in entries.into_iter().enumerate() {
            match file.kind {
                SeedKind::Sources => self.entry(file, index, entry, Self::source),
                SeedKind::Phases => self.entry(file, index, entry, Self::phase),
                SeedKind::Organisations => self.entry(file, index, entry, Self::organisation),
                SeedKind::Incubators => self.entry(file, index, entry, Self::incubator),
                SeedKind::Startups => self.entry(file, index, entry, Self::startup),
                SeedKind::Metrics => self.entry(file, index, entry, Self::metric),
            }
        }
    }

    fn file_error(&mut self, file: &SeedFile, message: String) {
        self.report.problems.push(Problem {
            severity: Severity::Error,
            file: file.path.clone(),
            record: None,
            field: String::new(),
            message,
        });
    }

    /// Reads one list entry as `T` and hands it to `check`, which says whether it kept the
    /// record; an entry of the wrong shape is reported with its position and left out. The
    /// problems of a record that is kept are warnings: it loads, without what they name.
    fn entry<T: DeserializeOwned>(
        &mut self,
        file: &SeedFile,
        index: usize,
        value: serde_norway::Value,
        check: fn(&mut Self, &str, T) -> bool,
    ) {
        let id = value
            .get("id")
            .and_then(|id| id.as_str())
            .map(str::to_owned);
        match serde_norway::from_value::<T>(value) {
            Ok(doc) => {
                let before = self.report.problems.len();
                if check(self, &file.path, doc) {
                    for problem in &mut self.report.problems[before..] {
                        problem.severity = Severity::Warning;
                    }
                }
            }
            Err(e) => self.report.problems.push(Problem {
                severity: Severity::Error,
                file: file.path.clone(),
                record: Some(id.unwrap_or_else(|| format!("entry {index}"))),
                field: String::new(),
                message: format!("{e}; record left out"),
            }),
        }
    }

    fn at<'a>(report: &'a mut Report, file: &'a str, id: &str) -> At<'a> {
        At {
            file,
            record: Some(id.to_owned()),
            report,
        }
    }

    /// Registers a new id, reporting a duplicate; false when the record must be left out.
    fn claim(at: &mut At<'_>, ids: &mut HashSet<String>, id: &str) -> bool {
        if !at.id(id) {
            return false;
        }
        if !ids.insert(id.to_owned()) {
            at.error(
                "id",
                "the id is used twice (or already stored); record left out",
            );
            return false;
        }
        true
    }

    fn source(&mut self, file: &str, doc: SourceDoc) -> bool {
        let mut at = Self::at(&mut self.report, file, &doc.id);
        if !Self::claim(&mut at, &mut self.known.sources, &doc.id) {
            return false;
        }
        let published = doc
            .published
            .and_then(|d| at.date("published", &d, "the field is left empty"));
        let source = Source {
            title: at.text("title", doc.title),
            kind: at.text("kind", doc.kind),
            id: doc.id,
            published,
        };
        self.dataset.sources.push(source);
        true
    }

    fn phase(&mut self, file: &str, doc: PhaseDoc) -> bool {
        let mut at = Self::at(&mut self.report, file, &doc.id);
        if !PHASE_KINDS.contains(&doc.kind.as_str()) {
            at.error(
                "kind",
                format!(
                    "`{}` is not one of {}; record left out",
                    doc.kind,
                    PHASE_KINDS.join(", ")
                ),
            );
            return false;
        }
        if self.dataset.phases.iter().any(|p| p.position == doc.order) {
            at.error(
                "order",
                format!(
                    "another phase already has order {}; record left out",
                    doc.order
                ),
            );
            return false;
        }
        if !Self::claim(&mut at, &mut self.known.phases, &doc.id) {
            return false;
        }
        let phase = Phase {
            label: at.text("label", doc.label),
            description: at.text("description", doc.description),
            id: doc.id,
            position: doc.order,
            kind: doc.kind,
        };
        self.dataset.phases.push(phase);
        true
    }

    fn organisation(&mut self, file: &str, doc: OrganisationDoc) -> bool {
        let mut at = Self::at(&mut self.report, file, &doc.id);
        if let Err(e) = crate::domain::fields::check_organisation_type(&doc.kind) {
            at.error("kind", format!("{e}; record left out"));
            return false;
        }
        if !Self::claim(&mut at, &mut self.known.organisations, &doc.id) {
            return false;
        }
        let organisation = Organisation {
            name: at.text("name", doc.name),
            acronym: at.optional_text("acronym", doc.acronym),
            id: doc.id,
            kind: doc.kind,
        };
        self.dataset.organisations.push(organisation);
        true
    }

    fn incubator(&mut self, file: &str, doc: IncubatorDoc) -> bool {
        let mut at = Self::at(&mut self.report, file, &doc.id);
        let owner = doc.owner.filter(|owner| {
            let known = self.known.organisations.contains(owner);
            if !known {
                at.error(
                    "owner",
                    format!("`{owner}` is not a known organisation; the owner is left empty"),
                );
            }
            known
        });
        if !Self::claim(&mut at, &mut self.known.incubators, &doc.id) {
            return false;
        }
        let incubator = Incubator {
            title: at.text("title", doc.title),
            owner_id: owner,
            website: at.url("website", doc.website),
            contact: at.optional_text("contact", doc.contact),
            address: at.optional_text("address", doc.address),
            description: at.optional_text("description", doc.description),
            id: doc.id,
        };
        self.dataset.incubators.push(incubator);
        true
    }

    fn startup(&mut self, file: &str, doc: StartupDoc) -> bool {
        let mut at = Self::at(&mut self.report, file, &doc.id);
        if let Some(incubator) = doc
            .incubator
            .as_ref()
            .filter(|i| !self.known.incubators.contains(*i))
        {
            at.error(
                "incubator",
                format!("`{incubator}` is not a known incubator; record left out"),
            );
            return false;
        }
        if !Self::claim(&mut at, &mut self.known.startups, &doc.id) {
            return false;
        }
        let mut sponsors = BTreeSet::new();
        for (i, sponsor) in doc.sponsors.into_iter().enumerate() {
            if self.known.organisations.contains(&sponsor) {
                sponsors.insert(sponsor);
            } else {
                at.error(
                    &format!("sponsors[{i}]"),
                    format!("`{sponsor}` is not a known organisation; sponsor left out"),
                );
            }
        }
        let phases = phase_history(&mut at, &self.known.phases, doc.phases);
        let mut events = Vec::new();
        for (i, event) in doc.events.into_iter().enumerate() {
            let Some(date) = at.date(&format!("events[{i}].date"), &event.date, "event left out")
            else {
                continue;
            };
            events.push(EventRow {
                startup_id: doc.id.clone(),
                position: i32::try_from(events.len()).unwrap_or(i32::MAX),
                name: at.text(&format!("events[{i}].name"), event.name),
                date,
                comment: at.optional_text(&format!("events[{i}].comment"), event.comment),
            });
        }
        let tags = |at: &mut At<'_>, field: &str, values: Vec<String>| {
            let set: BTreeSet<String> = values
                .into_iter()
                .enumerate()
                .map(|(i, v)| at.text(&format!("{field}[{i}]"), v))
                .collect();
            set.into_iter().collect()
        };
        let relations = Relations {
            co_incubators: Vec::new(),
            phases: phases
                .into_iter()
                .map(|span| PhaseRow::of_span(&doc.id, span))
                .collect(),
            sponsors: sponsors.into_iter().collect(),
            usertypes: tags(&mut at, "usertypes", doc.usertypes),
            thematiques: tags(&mut at, "thematiques", doc.thematiques),
            techno: Vec::new(),
            events,
        };
        let startup = Startup {
            name: at.text("name", doc.name),
            pitch: at.optional_text("pitch", doc.pitch),
            incubator_id: doc.incubator,
            link: at.url("link", doc.link),
            repository: at.url("repository", doc.repository),
            contact: at.optional_text("contact", doc.contact),
            description: at.optional_text("description", doc.description),
            id: doc.id,
            // Derived from the phases when the startup is written.
            created_on: None,
            updated_at: chrono::Utc::now().naive_utc(),
            latest_phase_id: None,
            latest_phase_start: None,
            stats_url: None,
            accessibility_status: None,
        };
        self.dataset
            .startups
            .push(StartupGraph { startup, relations });
        true
    }

    fn metric(&mut self, file: &str, doc: MetricDoc) -> bool {
        let mut at = Self::at(&mut self.report, file, &doc.id);
        if let Some(startup) = doc
            .startup
            .as_ref()
            .filter(|s| !self.known.startups.contains(*s))
        {
            at.error(
                "startup",
                format!("`{startup}` is not a known startup; record left out"),
            );
            return false;
        }
        if !Self::claim(&mut at, &mut self.known.metrics, &doc.id) {
            return false;
        }
        let mut observations: Vec<Observation> = Vec::new();
        for (i, obs) in doc.observations.into_iter().enumerate() {
            let field = |name: &str| format!("observations[{i}].{name}");
            let date = at.date(&field("date"), &obs.date, "observation left out");
            let start = match obs.start {
                Some(start) => match at.date(&field("start"), &start, "observation left out") {
                    Some(start) => Some(start),
                    None => continue,
                },
                None => None,
            };
            let Some(date) = date else { continue };
            if start.is_some_and(|start| start > date) {
                at.error(
                    &field("start"),
                    "the period starts after its end date; observation left out",
                );
                continue;
            }
            if let Some(source) = obs
                .source
                .as_ref()
                .filter(|s| !self.known.sources.contains(*s))
            {
                at.error(
                    &field("source"),
                    format!("`{source}` is not a known source; observation left out"),
                );
                continue;
            }
            if !obs.value.is_finite() {
                at.error(
                    &field("value"),
                    "the value is not a finite number; observation left out",
                );
                continue;
            }
            if observations.iter().any(|o| o.date == date) {
                at.error(
                    &field("date"),
                    format!("another observation already holds on {date}; observation left out"),
                );
                continue;
            }
            observations.push(Observation {
                metric_id: doc.id.clone(),
                date,
                start_date: start,
                value: obs.value,
                source_id: obs.source,
                note: at.optional_text(&field("note"), obs.note),
            });
        }
        let metric = Metric {
            label: at.text("label", doc.label),
            unit: at.text("unit", doc.unit),
            startup_id: doc.startup,
            description: at.optional_text("description", doc.description),
            id: doc.id,
        };
        self.dataset.metrics.push((metric, observations));
        true
    }
}

/// Reads a phase history as the source has it, in its order. An entry with an unknown phase
/// or a start or end that is not a date cannot be stored: it is left out, and reported. What
/// breaks the method's rules (phases out of order, two starting the same day, an overlap, an
/// end before the start) is real data: the entry is kept, and each break is a warning.
pub(crate) fn phase_history(
    at: &mut At<'_>,
    known_phases: &HashSet<String>,
    docs: Vec<PhaseSpanDoc>,
) -> Vec<PhaseSpan> {
    let mut kept = Vec::new();
    let mut history = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let field = |name: &str| format!("phases[{i}].{name}");
        let mut ok = true;
        if !known_phases.contains(&doc.phase) {
            at.error(
                &field("phase"),
                format!("`{}` is not a known phase; phase entry left out", doc.phase),
            );
            ok = false;
        }
        let left_out = "phase entry left out";
        let start = at.date(&field("start"), &doc.start, left_out);
        let end = match &doc.end {
            Some(end) => at.date(&field("end"), end, left_out).map(Some),
            None => Some(None),
        };
        if let (true, Some(start), Some(end)) = (ok, start, end) {
            kept.push(i);
            history.push(PhaseSpan {
                phase: doc.phase,
                start,
                end,
            });
        }
    }
    for violation in validate_history(&history, |name| known_phases.contains(name)) {
        at.problem(
            Severity::Warning,
            &format!("phases[{}].{}", kept[violation.index()], violation.field()),
            format!("{violation}; kept as the source has it"),
        );
    }
    history
}
