//! The seed files as written by people: one YAML list per kind of record.
//!
//! Dates are kept as text here, so that a bad one is reported with its file and field instead of
//! failing the whole file; [`super::validate`](mod@super::validate) turns these into rows.

use serde::Deserialize;

/// The kinds of seed file, each recognised by its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SeedKind {
    Sources,
    Phases,
    Organisations,
    Incubators,
    Startups,
    Metrics,
}

impl SeedKind {
    /// Every kind, in the order they must be loaded for references to resolve.
    pub const ALL: [SeedKind; 6] = [
        Self::Sources,
        Self::Phases,
        Self::Organisations,
        Self::Incubators,
        Self::Startups,
        Self::Metrics,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            Self::Sources => "sources.yaml",
            Self::Phases => "phases.yaml",
            Self::Organisations => "organisations.yaml",
            Self::Incubators => "incubators.yaml",
            Self::Startups => "startups.yaml",
            Self::Metrics => "metrics.yaml",
        }
    }

    pub fn from_file_name(name: &str) -> Option<Self> {
        let stem = name.strip_suffix(".yaml").or(name.strip_suffix(".yml"))?;
        Self::ALL
            .into_iter()
            .find(|kind| kind.file_name().strip_suffix(".yaml") == Some(stem))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDoc {
    pub id: String,
    pub title: String,
    pub published: Option<String>,
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseDoc {
    pub id: String,
    pub label: String,
    pub order: i32,
    pub kind: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationDoc {
    pub id: String,
    pub name: String,
    pub acronym: Option<String>,
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncubatorDoc {
    pub id: String,
    pub title: String,
    pub owner: Option<String>,
    pub website: Option<String>,
    pub contact: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    /// The document the entry was written from; informative only.
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartupDoc {
    pub id: String,
    pub name: String,
    pub pitch: Option<String>,
    pub incubator: Option<String>,
    #[serde(default)]
    pub sponsors: Vec<String>,
    pub link: Option<String>,
    pub repository: Option<String>,
    pub contact: Option<String>,
    #[serde(default)]
    pub usertypes: Vec<String>,
    #[serde(default)]
    pub thematiques: Vec<String>,
    #[serde(default)]
    pub phases: Vec<PhaseSpanDoc>,
    #[serde(default)]
    pub events: Vec<EventDoc>,
    pub description: Option<String>,
    /// The document the entry was written from; informative only.
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpanDoc {
    pub phase: String,
    pub start: String,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDoc {
    pub name: String,
    pub date: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricDoc {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub startup: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub observations: Vec<ObservationDoc>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationDoc {
    pub date: String,
    pub start: Option<String>,
    pub value: f64,
    pub source: Option<String>,
    pub note: Option<String>,
}
