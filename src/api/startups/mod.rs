//! `/api/v1/startups`: the portfolio, each startup with its phase history.
//!
//! The response types live here; the list and the item views in [`list`] and [`find`].

pub mod export;
mod find;
mod list;
mod write;

pub use find::*;
pub use list::*;
pub use write::*;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::metrics::MetricSummary;
use crate::db::startups::{PhaseRow, Relations, Startup};
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

fn spans(rows: &[PhaseRow]) -> Vec<PhaseSpan> {
    rows.iter().map(PhaseRow::span).collect()
}

/// The phase on `day` and the creation date, from a loaded history.
fn derived(rows: &[PhaseRow], day: NaiveDate) -> (Option<String>, Option<NaiveDate>) {
    let history = spans(rows);
    let current = current_phase(&history, day).map(|s| s.phase.clone());
    (current, first_start(&history))
}

impl StartupSummary {
    fn new(startup: Startup, relations: Relations, day: NaiveDate) -> Self {
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
