//! A startup as the API lists it ([`StartupSummary`]) and shows it whole ([`StartupResponse`]),
//! as the change feed records it, and [`StartupRecord`], everything shown about it read in one go.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryResult;
use serde::Serialize;
use utoipa::ToSchema;

use super::metric::MetricSummary;
use crate::db::DbConnection;
use crate::db::incubators::Incubator;
use crate::db::metrics::Metric;
use crate::db::organisations::Organisation;
use crate::db::startups::{PhaseRow, Relations, Startup, StartupGraph};
use crate::domain::phases::{PhaseSpan, current_phase, first_start};

/// A startup as listed. With `fields=`, an item holds only the fields named, and its id.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartupSummary {
    #[schema(example = "medle")]
    pub id: String,
    #[schema(example = "Medlé", required = false)]
    pub name: String,
    /// What it does, in a sentence.
    pub pitch: Option<String>,
    /// Id of the incubator that hosts it.
    #[schema(example = "sgmas")]
    pub incubator: Option<String>,
    /// Ids of its sponsor organisations.
    #[schema(required = false)]
    pub sponsors: Vec<String>,
    /// The phase it is in today (or on `as_of`): the latest one started by then.
    #[schema(example = "transfere")]
    pub current_phase: Option<String>,
    /// When its first phase started.
    pub created: Option<NaiveDate>,
    /// When its record last changed (UTC).
    #[schema(required = false)]
    pub updated: DateTime<Utc>,
    #[schema(example = "https://medle.fabrique.social.gouv.fr")]
    pub link: Option<String>,
}

/// One dated phase of a startup's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseSpanResponse {
    #[schema(example = "construction")]
    pub phase: String,
    pub start: NaiveDate,
    /// Absent while the phase runs; a phase also ends when the next one starts.
    pub end: Option<NaiveDate>,
}

/// Something that happened to a startup.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    pub name: String,
    pub date: NaiveDate,
    pub comment: Option<String>,
}

/// A reference to the incubator of a startup.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncubatorRef {
    #[schema(example = "sgmas")]
    pub id: String,
    pub title: String,
}

/// A reference to a sponsor of a startup.
#[derive(Debug, Serialize, ToSchema)]
pub struct SponsorRef {
    #[schema(example = "dgs")]
    pub id: String,
    pub name: String,
    pub acronym: Option<String>,
}

/// A startup in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartupResponse {
    pub id: String,
    pub name: String,
    pub pitch: Option<String>,
    pub description: Option<String>,
    /// The incubator hosting it.
    pub incubator: Option<IncubatorRef>,
    /// Every incubator it is listed under: its own first, then those it is co-incubated by.
    pub incubators: Vec<IncubatorRef>,
    pub sponsors: Vec<SponsorRef>,
    pub current_phase: Option<String>,
    pub created: Option<NaiveDate>,
    /// When its record last changed (UTC).
    pub updated: DateTime<Utc>,
    /// The phase history, oldest first.
    pub phases: Vec<PhaseSpanResponse>,
    pub events: Vec<EventResponse>,
    pub link: Option<String>,
    pub repository: Option<String>,
    pub contact: Option<String>,
    /// Who it serves, e.g. `particulier`.
    pub usertypes: Vec<String>,
    /// Public-policy themes, e.g. `Santé`.
    pub thematiques: Vec<String>,
    /// Technologies it is built with.
    pub techno: Vec<String>,
    /// Where it publishes its usage statistics.
    pub stats_url: Option<String>,
    /// Its declared accessibility compliance.
    #[schema(example = "partiellement conforme")]
    pub accessibility_status: Option<String>,
    /// The impact metrics it publishes.
    pub metrics: Vec<MetricSummary>,
}

pub fn spans(rows: &[PhaseRow]) -> Vec<PhaseSpan> {
    rows.iter().map(PhaseRow::span).collect()
}

/// The phase on `day` and the creation date, from a loaded history.
pub fn derived(rows: &[PhaseRow], day: NaiveDate) -> (Option<String>, Option<NaiveDate>) {
    let history = spans(rows);
    let current = current_phase(&history, day).map(|s| s.phase.clone());
    (current, first_start(&history))
}

impl StartupSummary {
    pub fn new(startup: Startup, relations: Relations, day: NaiveDate) -> Self {
        let (current_phase, created) = derived(&relations.phases, day);
        Self {
            id: startup.id,
            name: startup.name,
            pitch: startup.pitch,
            incubator: startup.incubator_id,
            sponsors: relations.sponsors,
            current_phase,
            created,
            updated: startup.updated_at.and_utc(),
            link: startup.link,
        }
    }
}

/// Everything shown about one startup, read in one go.
pub struct StartupRecord {
    startup: Startup,
    relations: Relations,
    incubator: Option<Incubator>,
    co_incubators: Vec<Incubator>,
    sponsors: Vec<Organisation>,
    metrics: Vec<MetricSummary>,
}

impl StartupRecord {
    /// Reads everything shown about startup `id`; `None` when there is no such startup.
    pub fn read(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>> {
        Ok(Self::read_many(conn, &[id.to_owned()])?.pop())
    }

    /// Reads everything shown about the startups among `ids` that exist, by id, in one query
    /// per table whatever their number.
    pub fn read_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Self>> {
        let startups = Startup::find_many(conn, ids)?;
        let mut relations = Startup::relations(conn, ids)?;
        let incubator_ids: Vec<String> = (startups.iter().filter_map(|s| s.incubator_id.clone()))
            .chain(
                relations
                    .values()
                    .flat_map(|r| r.co_incubators.iter().cloned()),
            )
            .collect();
        let incubators: HashMap<String, Incubator> = Incubator::find_many(conn, &incubator_ids)?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
        let sponsor_ids: Vec<String> = relations
            .values()
            .flat_map(|r| r.sponsors.iter().cloned())
            .collect();
        let sponsors: HashMap<String, Organisation> = Organisation::find_many(conn, &sponsor_ids)?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
        let mut metrics: HashMap<String, Vec<MetricSummary>> = HashMap::new();
        let of_startups = Metric::of_startups(conn, ids)?;
        for summary in MetricSummary::with_latest(conn, of_startups)? {
            if let Some(startup) = summary.startup.clone() {
                metrics.entry(startup).or_default().push(summary);
            }
        }
        Ok(startups
            .into_iter()
            .map(|startup| {
                let relations = relations.remove(&startup.id).unwrap_or_default();
                Self {
                    incubator: (startup.incubator_id.as_ref())
                        .and_then(|i| incubators.get(i).cloned()),
                    co_incubators: (relations.co_incubators.iter())
                        .filter_map(|i| incubators.get(i).cloned())
                        .collect(),
                    sponsors: (relations.sponsors.iter())
                        .filter_map(|o| sponsors.get(o).cloned())
                        .collect(),
                    metrics: metrics.remove(&startup.id).unwrap_or_default(),
                    startup,
                    relations,
                }
            })
            .collect())
    }

    /// The stored rows of the startup and its relations.
    pub fn graph(&self) -> StartupGraph {
        StartupGraph {
            startup: self.startup.clone(),
            relations: self.relations.clone(),
        }
    }

    pub fn id(&self) -> &str {
        &self.startup.id
    }

    /// The id of the incubator hosting the startup, which decides who may write it.
    pub fn incubator_id(&self) -> Option<&str> {
        self.startup.incubator_id.as_deref()
    }

    /// The first day of its first phase, if it has one.
    pub fn created_on(&self) -> Option<NaiveDate> {
        self.startup.created_on
    }

    /// The startup as `/startups/{id}` shows it on `day`.
    pub fn response(self, day: NaiveDate) -> StartupResponse {
        let (current_phase, created) = derived(&self.relations.phases, day);
        let StartupRecord {
            startup,
            relations,
            incubator,
            co_incubators,
            sponsors,
            metrics,
        } = self;
        let reference = |i: Incubator| IncubatorRef {
            id: i.id,
            title: i.title,
        };
        let incubators = (incubator.iter().cloned())
            .chain(co_incubators)
            .map(reference)
            .collect();
        StartupResponse {
            id: startup.id,
            name: startup.name,
            pitch: startup.pitch,
            description: startup.description,
            incubator: incubator.map(reference),
            incubators,
            sponsors: sponsors
                .into_iter()
                .map(|o| SponsorRef {
                    id: o.id,
                    name: o.name,
                    acronym: o.acronym,
                })
                .collect(),
            current_phase,
            created,
            updated: startup.updated_at.and_utc(),
            phases: phase_spans(relations.phases),
            events: relations
                .events
                .into_iter()
                .map(|e| EventResponse {
                    name: e.name,
                    date: e.date,
                    comment: e.comment,
                })
                .collect(),
            link: startup.link,
            repository: startup.repository,
            contact: startup.contact,
            usertypes: relations.usertypes,
            thematiques: relations.thematiques,
            techno: relations.techno,
            stats_url: startup.stats_url,
            accessibility_status: startup.accessibility_status,
            metrics,
        }
    }
}

/// The phase history as the API shows it.
pub fn phase_spans(rows: Vec<PhaseRow>) -> Vec<PhaseSpanResponse> {
    rows.into_iter()
        .map(|r| PhaseSpanResponse {
            phase: r.phase_id,
            start: r.start_date,
            end: r.end_date,
        })
        .collect()
}
