//! An impact metric as the API shows it and the change feed records it: with its latest
//! observation.

use chrono::NaiveDate;
use diesel::QueryResult;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::metrics::{Metric, Observation};

/// An impact indicator with its latest value.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricSummary {
    #[schema(example = "medle-actes-enregistres")]
    pub id: String,
    #[schema(example = "Actes enregistrés")]
    pub label: String,
    #[schema(example = "actes")]
    pub unit: String,
    /// The startup it measures; absent for figures of the programme as a whole.
    #[schema(example = "medle")]
    pub startup: Option<String>,
    pub description: Option<String>,
    /// The most recent observation, if any.
    pub latest: Option<ObservationResponse>,
}

/// One value of a metric.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationResponse {
    /// The day the value holds at; for a period, its last day.
    pub date: NaiveDate,
    /// The first day of the period the value covers, when it covers one.
    pub start: Option<NaiveDate>,
    /// The value, in the metric's unit: a whole value is written without a fraction.
    #[schema(example = 12000)]
    #[serde(serialize_with = "super::number::plain")]
    pub value: f64,
    /// Id of the document the value comes from.
    #[schema(example = "004")]
    pub source: Option<String>,
    pub note: Option<String>,
}

impl From<Observation> for ObservationResponse {
    fn from(o: Observation) -> Self {
        Self {
            date: o.date,
            start: o.start_date,
            value: o.value,
            source: o.source_id,
            note: o.note,
        }
    }
}

impl MetricSummary {
    /// Pairs each metric with its latest observation.
    pub fn with_latest(conn: &mut DbConnection, metrics: Vec<Metric>) -> QueryResult<Vec<Self>> {
        let ids: Vec<String> = metrics.iter().map(|m| m.id.clone()).collect();
        let mut latest: std::collections::HashMap<String, Observation> =
            Metric::latest_observations(conn, &ids)?
                .into_iter()
                .map(|o| (o.metric_id.clone(), o))
                .collect();
        Ok(metrics
            .into_iter()
            .map(|m| {
                let observation = latest.remove(&m.id).map(Into::into);
                Self {
                    id: m.id,
                    label: m.label,
                    unit: m.unit,
                    startup: m.startup_id,
                    description: m.description,
                    latest: observation,
                }
            })
            .collect())
    }
}

impl MetricSummary {
    /// The metrics of one startup, each with its latest observation.
    pub fn of_startup(conn: &mut DbConnection, startup: &str) -> QueryResult<Vec<Self>> {
        let metrics = Metric::of_startup(conn, startup)?;
        Self::with_latest(conn, metrics)
    }
}
