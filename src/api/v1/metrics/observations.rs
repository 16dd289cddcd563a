//! `/api/v1/observations`: the observations of every metric, one row each — the impact figures
//! as one dataset, where `/metrics/{id}/observations` serves one metric.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::http::error::{ApiError, FieldError, Problem};
use crate::api::http::query::ApiQuery;
use crate::api::http::state::AppState;
use crate::api::shape::columns::Column;
use crate::api::shape::envelope::{ListResponse, page_request, paged_query};
use crate::api::shape::formats::{CsvRecord, Format, respond_list};
use crate::api::v1::metrics::ObservationResponse;
use crate::api::v1::metrics::lines::{self, Document};
use crate::db::DbConnection;
use crate::db::metrics::Observation;
use crate::db::page::PageRequest;

/// One value of one metric.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricObservation {
    /// Id of the metric.
    #[schema(example = "medle-actes-enregistres")]
    pub metric: String,
    #[serde(flatten)]
    pub observation: ObservationResponse,
}

impl From<Observation> for MetricObservation {
    fn from(o: Observation) -> Self {
        Self {
            metric: o.metric_id.clone(),
            observation: o.into(),
        }
    }
}

/// The columns of one metric's observations, the date no longer unique.
const OF_ONE_METRIC: &[Column] = ObservationResponse::COLUMNS;

impl CsvRecord for MetricObservation {
    const COLUMNS: &'static [Column] = &[
        Column::text("metric", "Identifier of the metric")
            .fr("Indicateur", "Identifiant de l'indicateur")
            .example("medle-actes-enregistres")
            .required(),
        Column {
            unique: false,
            ..OF_ONE_METRIC[0]
        },
        OF_ONE_METRIC[1],
        OF_ONE_METRIC[2],
        OF_ONE_METRIC[3],
        OF_ONE_METRIC[4],
    ];

    fn record(&self) -> Vec<String> {
        std::iter::once(self.metric.clone())
            .chain(self.observation.record())
            .collect()
    }
}

paged_query! {
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllObservationsQuery {
    /// Only the observations of this metric.
    #[param(example = "medle-actes-enregistres")]
    pub metric: Option<String>,
}
}

/// List the observations of every metric, by metric then date.
#[utoipa::path(
    tag = "metrics",
    params(AllObservationsQuery),
    responses(
        (status = 200, description = "A page of observations", body = ListResponse<MetricObservation>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/observations")]
pub async fn list_observations(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<AllObservationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    request
        .pair_position::<String, NaiveDate>()
        .map_err(|_| FieldError::foreign_cursor())?;
    let whole = query.wants_whole();
    let format = Format::negotiate(&req, query.format);
    if whole && format != Format::Json && query.metric.is_none() {
        return lines::respond_whole(&state, Document::Observations, format).await;
    }
    let metric = query.metric;
    let fetch = move |conn: &mut DbConnection, request: &PageRequest| {
        Observation::page_all(conn, metric.as_deref(), request)
            .map(|page| page.map(MetricObservation::from))
    };
    respond_list(&req, &state, format, request, whole, fetch).await
}
