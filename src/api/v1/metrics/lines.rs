//! The whole exports of the metrics and of every observation, written from the lines stored
//! with each metric ([`crate::db::metric_lines`]): its record in the metric list, with its
//! latest observation, and its observations' rows, in both formats, rendered by [`refresh`] in
//! the transaction that wrote the metric or one of its observations. As for the startups
//! ([`crate::api::v1::startups::lines`]), an export renders from its rows a metric without
//! lines, and both are written by [`encode`]: the same bytes either way.

use std::collections::HashMap;

use actix_web::HttpResponse;
use diesel::QueryResult;

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::shape::formats::{Format, encode};
use crate::api::shape::stored_lines;
use crate::api::v1::metrics::{MetricObservation, MetricSummary};
use crate::db::DbConnection;
use crate::db::metric_lines::{self, Lines, MetricLines};
use crate::db::metrics::{Metric, Observation};

/// Metrics rendered per statement by [`refresh`].
const RENDER_BATCH: i64 = 1000;

/// A whole export written from the metrics' lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `/api/v1/metrics`: a record each, with its latest observation.
    Metrics,
    /// `/api/v1/observations`: a record for each observation of each.
    Observations,
}

impl Document {
    fn lines(self, format: Format) -> Lines {
        match (self, format) {
            (Document::Metrics, Format::Csv) => Lines::MetricCsv,
            (Document::Metrics, _) => Lines::MetricNdjson,
            (Document::Observations, Format::Csv) => Lines::ObservationsCsv,
            (Document::Observations, _) => Lines::ObservationsNdjson,
        }
    }

    /// What precedes the records: the CSV header.
    fn head(self, format: Format) -> Result<Vec<u8>, ApiError> {
        let head = match self {
            Document::Metrics => encode::<MetricSummary>(format, &[], true)?,
            Document::Observations => encode::<MetricObservation>(format, &[], true)?,
        };
        Ok(head.to_vec())
    }
}

/// A metric rendered from its rows.
struct Rendered {
    summary: MetricSummary,
    observations: Vec<MetricObservation>,
}

impl Rendered {
    /// Its lines in `document`, in `format`, as a page of that export writes them.
    fn lines(&self, document: Document, format: Format) -> Result<String, ApiError> {
        match document {
            Document::Metrics => stored_lines::line(format, std::slice::from_ref(&self.summary)),
            Document::Observations => stored_lines::line(format, &self.observations),
        }
    }
}

/// The metrics `ids` that exist, each rendered from its rows.
fn render(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Rendered>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let metrics = Metric::find_many(conn, ids)?;
    let mut observed: HashMap<String, Vec<Observation>> = HashMap::new();
    for observation in Observation::of_metrics(conn, ids)? {
        observed
            .entry(observation.metric_id.clone())
            .or_default()
            .push(observation);
    }
    Ok(metrics
        .into_iter()
        .map(|metric| {
            let observations = observed.remove(&metric.id).unwrap_or_default();
            // Read by date: the latest is the last.
            let latest = observations.last().cloned().map(Into::into);
            Rendered {
                summary: MetricSummary {
                    id: metric.id,
                    label: metric.label,
                    unit: metric.unit,
                    startup: metric.startup_id,
                    description: metric.description,
                    latest,
                },
                observations: observations.into_iter().map(Into::into).collect(),
            }
        })
        .collect())
}

/// Renders the lines of up to [`RENDER_BATCH`] metrics a write made stale; returns how many
/// stale metrics it took, 0 when none was left.
fn refresh_batch(conn: &mut DbConnection) -> QueryResult<usize> {
    let ids = metric_lines::stale(conn, RENDER_BATCH)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let lines = render(conn, &ids)?
        .into_iter()
        .map(|rendered| {
            let written = |document, format| {
                rendered
                    .lines(document, format)
                    .map_err(stored_lines::unwritable)
            };
            Ok(MetricLines {
                metric_id: rendered.summary.id.clone(),
                csv: written(Document::Metrics, Format::Csv)?,
                ndjson: written(Document::Metrics, Format::Ndjson)?,
                observations_csv: written(Document::Observations, Format::Csv)?,
                observations_ndjson: written(Document::Observations, Format::Ndjson)?,
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    metric_lines::store(conn, &ids, &lines)?;
    Ok(ids.len())
}

/// Renders the lines of every metric a write made stale, in the caller's transaction; returns
/// how many stale metrics it took.
pub fn refresh(conn: &mut DbConnection) -> QueryResult<usize> {
    stored_lines::refresh(conn, refresh_batch)
}

/// [`refresh`] in a transaction for each batch, under the writers' lock
/// ([`stored_lines::refresh_in_batches`]), for a database opened to serve.
pub fn refresh_in_batches(conn: &mut DbConnection) -> QueryResult<usize> {
    stored_lines::refresh_in_batches(conn, refresh_batch)
}

/// A whole export of the metrics' lines.
struct Export {
    document: Document,
    format: Format,
}

impl stored_lines::StoredLines for Export {
    type Rendered = Rendered;

    fn read(
        &self,
        conn: &mut DbConnection,
        after: &str,
        limit: i64,
        each: &mut dyn FnMut(String, Option<String>),
    ) -> QueryResult<()> {
        metric_lines::chunk(conn, self.document.lines(self.format), after, limit, each)
    }

    fn render(&self, conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Rendered>> {
        render(conn, ids)
    }

    fn key(rendered: &Rendered) -> &str {
        &rendered.summary.id
    }

    fn line(&self, rendered: &Rendered) -> Result<String, ApiError> {
        rendered.lines(self.document, self.format)
    }
}

/// Answers the whole `document` in `format` (CSV or NDJSON), streamed.
pub async fn respond_whole(
    state: &AppState,
    document: Document,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let head = document.head(format)?;
    stored_lines::respond(state, format, head, Export { document, format }).await
}
