//! `/api/v1/metrics`: impact indicators and their dated observations.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use diesel::QueryResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::list::{ListResponse, page_request, respond};
use super::query::{ApiQuery, de};
use super::state::AppState;
use crate::db::DbConnection;
use crate::db::metrics::{Metric, MetricFilter, Observation};
use crate::db::page::Page;
use crate::domain::dates::parse_date;
use crate::error::{ApiError, FieldError, Problem};

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
    #[schema(example = 12000.0)]
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
        let mut latest = Metric::latest_observations(conn, &ids)?;
        Ok(metrics
            .into_iter()
            .map(|m| {
                let observation = latest
                    .iter()
                    .position(|o| o.metric_id == m.id)
                    .map(|i| latest.swap_remove(i).into());
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// Only the metrics of this startup.
    #[param(example = "medle")]
    pub startup: Option<String>,
    /// Items per page, from 1 to 1000.
    #[param(minimum = 1, maximum = 1000, example = 20, value_type = Option<u32>)]
    #[serde(default, deserialize_with = "de::page_size")]
    pub page_size: Option<u32>,
    /// Opaque position, as found in `links.next` or `links.prev`.
    pub cursor: Option<String>,
}

/// List metrics, by id, each with its latest observation.
#[utoipa::path(
    tag = "metrics",
    params(MetricsQuery),
    responses(
        (status = 200, description = "A page of metrics", body = ListResponse<MetricSummary>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn list_metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<MetricsQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    let size = request.size;
    let filter = MetricFilter {
        startup: query.startup,
    };
    let page = state
        .db(move |conn| {
            let page = Metric::page(conn, &filter, &request)?;
            let rows = MetricSummary::with_latest(conn, page.rows)?;
            Ok(Page {
                rows,
                total: page.total,
                next: page.next,
                prev: page.prev,
            })
        })
        .await?;
    Ok(respond(&req, page, size))
}

/// Get one metric with its latest observation.
#[utoipa::path(
    tag = "metrics",
    params(("id" = String, Path, description = "Metric id", example = "medle-actes-enregistres")),
    responses(
        (status = 200, description = "The metric", body = MetricSummary),
        (status = 404, description = "No such metric", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics/{id}")]
pub async fn get_metric(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<MetricSummary>, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let found = state
        .db(move |conn| {
            let metrics: Vec<Metric> = Metric::find(conn, &key)?.into_iter().collect();
            MetricSummary::with_latest(conn, metrics)
        })
        .await?;
    found
        .into_iter()
        .next()
        .map(web::Json)
        .ok_or(ApiError::NotFound {
            resource: "metric",
            id,
        })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObservationsQuery {
    /// Items per page, from 1 to 1000.
    #[param(minimum = 1, maximum = 1000, example = 20, value_type = Option<u32>)]
    #[serde(default, deserialize_with = "de::page_size")]
    pub page_size: Option<u32>,
    /// Opaque position, as found in `links.next` or `links.prev`.
    pub cursor: Option<String>,
}

/// List a metric's observations, oldest first.
#[utoipa::path(
    tag = "metrics",
    params(("id" = String, Path, description = "Metric id", example = "medle-actes-enregistres"), ObservationsQuery),
    responses(
        (status = 200, description = "A page of observations", body = ListResponse<ObservationResponse>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such metric", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics/{id}/observations")]
pub async fn list_metric_observations(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    ApiQuery(query): ApiQuery<ObservationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    let position = match request.position() {
        Some((direction, key)) => {
            let date: NaiveDate = parse_date(&key).map_err(|_| {
                FieldError::new(
                    "cursor",
                    "not a cursor issued by this API: follow links.next or links.prev as given",
                )
            })?;
            Some((direction, date))
        }
        None => None,
    };
    let size = request.size;
    let id = id.into_inner();
    let key = id.clone();
    let page = state
        .db(move |conn| {
            if Metric::find(conn, &key)?.is_none() {
                return Ok(None);
            }
            Observation::page(conn, &key, &request, position).map(Some)
        })
        .await?
        .ok_or(ApiError::NotFound {
            resource: "metric",
            id,
        })?;
    Ok(respond(&req, page.map(ObservationResponse::from), size))
}
