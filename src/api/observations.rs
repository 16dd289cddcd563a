//! `/api/v1/observations`: the observations of every metric, one row each — the impact figures
//! as one dataset, where `/metrics/{id}/observations` serves one metric.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::columns::{Column, FieldType};
use super::export::{CsvRecord, Format, Reading, cell, respond_list};
use super::list::{ListResponse, page_request, paged_query};
use super::query::ApiQuery;
use super::state::AppState;
use crate::db::DbConnection;
use crate::db::metrics::Observation;
use crate::db::page::PageRequest;
use crate::error::{ApiError, FieldError, Problem};

/// One value of one metric.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricObservation {
    /// Id of the metric.
    #[schema(example = "medle-actes-enregistres")]
    pub metric: String,
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

impl From<Observation> for MetricObservation {
    fn from(o: Observation) -> Self {
        Self {
            metric: o.metric_id,
            date: o.date,
            start: o.start_date,
            value: o.value,
            source: o.source_id,
            note: o.note,
        }
    }
}

impl CsvRecord for MetricObservation {
    const COLUMNS: &'static [Column] = &[
        Column::text("metric", "Identifier of the metric").required(),
        Column::date(
            "date",
            "The day the value holds at; for a period, its last day",
        )
        .required(),
        Column::date(
            "start",
            "First day of the period the value covers, if it covers one",
        ),
        Column::new(
            "value",
            FieldType::Number,
            "The value, in the metric's unit",
        )
        .required(),
        Column::text("source", "Identifier of the document the value comes from"),
        Column::text("note", "Remark on the value"),
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.metric.clone(),
            self.date.to_string(),
            cell(&self.start),
            self.value.to_string(),
            cell(&self.source),
            cell(&self.note),
        ]
    }
}

paged_query! {
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObservationsQuery {
    /// Only the observations of this metric.
    #[param(example = "medle-actes-enregistres")]
    pub metric: Option<String>,
}
}

/// List the observations of every metric, by metric then date.
#[utoipa::path(
    tag = "metrics",
    params(ObservationsQuery),
    responses(
        (status = 200, description = "A page of observations", body = ListResponse<MetricObservation>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/observations")]
pub async fn list_observations(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<ObservationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    request
        .pair_position::<String, NaiveDate>()
        .map_err(|_| FieldError::foreign_cursor())?;
    let whole = query.wants_whole();
    let format = Format::negotiate(&req, query.format);
    let metric = query.metric;
    let fetch = move |conn: &mut DbConnection, request: &PageRequest, _: Reading| {
        Observation::page_all(conn, metric.as_deref(), request)
            .map(|page| page.map(MetricObservation::from))
    };
    respond_list(&req, &state, format, request, whole, fetch).await
}
