//! `/api/v1/metrics`: impact indicators and their dated observations.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::http::error::{ApiError, FieldError, Problem};
use crate::api::http::query::{ApiQuery, de};
use crate::api::http::state::AppState;
use crate::api::shape::columns::{Column, FieldType};
use crate::api::shape::envelope::{ListResponse, page_request, paged_query};
use crate::api::shape::formats::{CsvRecord, Format, cell, respond_list};
use crate::api::v1::metrics::lines::{self, Document};
use crate::db::DbConnection;
use crate::db::metrics::{DateRange, Metric, MetricFilter, Observation};
use crate::db::page::{Page, PageRequest};
use crate::domain::dates::parse_date;
use crate::domain::stats::{Aggregate, Granularity, aggregate};
pub use crate::representation::metric::{MetricSummary, ObservationResponse};

impl CsvRecord for MetricSummary {
    const COLUMNS: &'static [Column] = &[
        Column::text("id", "Identifier of the metric")
            .fr("Identifiant", "Identifiant de l'indicateur")
            .example("medle-actes-enregistres")
            .key(),
        Column::text("label", "What it counts, in French")
            .fr("Libellé", "Ce qu'il compte, en français")
            .example("Actes enregistrés")
            .required(),
        Column::text("unit", "Unit of its values")
            .fr("Unité", "Unité de ses valeurs")
            .example("actes")
            .required(),
        Column::text(
            "startup",
            "Identifier of the startup it measures; empty for a figure of the whole programme",
        )
        .fr(
            "Startup",
            "Identifiant de la startup qu'il mesure ; vide pour un chiffre du programme entier",
        )
        .example("medle"),
        Column::text("description", "How the figure is made")
            .fr("Description", "Comment le chiffre est établi")
            .example("Nombre cumulé d'actes de médecine légale saisis dans l'outil."),
        Column::date("latest_date", "Day of its most recent observation")
            .fr(
                "Date de la dernière mesure",
                "Jour de sa mesure la plus récente",
            )
            .example("2021-07-01"),
        Column::new(
            "latest_value",
            FieldType::Number,
            "Value of its most recent observation",
        )
        .fr("Dernière valeur", "Valeur de sa mesure la plus récente")
        .example("250000"),
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.label.clone(),
            self.unit.clone(),
            cell(&self.startup),
            cell(&self.description),
            cell(&self.latest.as_ref().map(|o| o.date)),
            cell(&self.latest.as_ref().map(|o| o.value)),
        ]
    }
}

impl CsvRecord for ObservationResponse {
    const COLUMNS: &'static [Column] = &[
        Column::date(
            "date",
            "The day the value holds at; for a period, its last day",
        )
        .fr(
            "Date",
            "Le jour auquel la valeur se rapporte ; pour une période, son dernier jour",
        )
        .example("2021-07-01")
        .key(),
        Column::date(
            "start",
            "First day of the period the value covers, if it covers one",
        )
        .fr(
            "Début",
            "Premier jour de la période que couvre la valeur, s'il y en a une",
        )
        .example("2021-01-01"),
        Column::new(
            "value",
            FieldType::Number,
            "The value, in the metric's unit",
        )
        .fr("Valeur", "La valeur, dans l'unité de l'indicateur")
        .example("250000")
        .required(),
        Column::text("source", "Identifier of the document the value comes from")
            .fr("Source", "Identifiant du document d'où vient la valeur")
            .example("004"),
        Column::text("note", "Remark on the value")
            .fr("Note", "Remarque sur la valeur")
            .example("Bilan dressé au passage en transfert le 1er juillet 2021."),
    ];

    fn record(&self) -> Vec<String> {
        vec![
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
pub struct MetricsQuery {
    /// Only the metrics of this startup.
    #[param(example = "medle")]
    pub startup: Option<String>,
}
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
    let whole = query.wants_whole();
    let format = Format::negotiate(&req, query.format);
    if whole && format != Format::Json && query.startup.is_none() {
        return lines::respond_whole(&state, Document::Metrics, format).await;
    }
    let filter = MetricFilter {
        startup: query.startup,
    };
    let fetch = move |conn: &mut DbConnection, request: &PageRequest| {
        let page = Metric::page(conn, &filter, request)?;
        let rows = MetricSummary::with_latest(conn, page.rows)?;
        Ok(Page {
            rows,
            total: page.total,
            next: page.next,
            prev: page.prev,
        })
    };
    respond_list(&req, &state, format, request, whole, fetch).await
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

paged_query! {
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObservationsQuery {
    /// First day, included (YYYY-MM-DD).
    #[param(example = "2020-01-01", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub from: Option<NaiveDate>,
    /// Last day, included (YYYY-MM-DD).
    #[param(example = "2020-12-31", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub to: Option<NaiveDate>,
    /// Group observations into periods: day, month, quarter or year. Needs `agg`; the answer is
    /// then one item per period that has observations, all in one response.
    #[param(inline, example = "month")]
    pub granularity: Option<Granularity>,
    /// How each period's observations combine: sum, avg, min, max, or last (the value of the
    /// latest day). Needs `granularity`.
    #[param(inline, example = "sum")]
    pub agg: Option<Aggregate>,
}
}

/// One period of an aggregated series.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodResponse {
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day of the period.
    pub end: NaiveDate,
    /// A whole value is written without a fraction.
    #[schema(example = 1520)]
    #[serde(serialize_with = "crate::representation::number::plain")]
    pub value: f64,
    /// Observations combined into `value`.
    #[schema(example = 31)]
    pub count: usize,
}

/// A metric's observations combined per period.
#[derive(Debug, Serialize, ToSchema)]
pub struct AggregatedObservations {
    pub data: Vec<PeriodResponse>,
    pub meta: AggregationMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AggregationMeta {
    pub metric: String,
    pub granularity: Granularity,
    pub agg: Aggregate,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Observations combined, across all periods.
    pub observations: usize,
}

/// The two shapes `/metrics/{id}/observations` answers in: a page of observations, or (with
/// `granularity` and `agg`) the series per period.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ObservationsResponse {
    Page(ListResponse<ObservationResponse>),
    Aggregated(AggregatedObservations),
}

/// Checks the parameters that only make sense together.
fn check_combination(query: &ObservationsQuery) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let allowed = |all: &[&str]| all.join(", ");
    match (query.granularity, query.agg) {
        (Some(_), None) => errors.push(FieldError::new(
            "agg",
            format!(
                "required with granularity; allowed: {}",
                allowed(&Aggregate::ALL.map(Aggregate::as_str))
            ),
        )),
        (None, Some(_)) => errors.push(FieldError::new(
            "granularity",
            format!(
                "required with agg; allowed: {}",
                allowed(&Granularity::ALL.map(Granularity::as_str))
            ),
        )),
        (Some(_), Some(_)) => {
            for (name, given) in [
                ("page_size", query.page_size.is_some()),
                ("cursor", query.cursor.is_some()),
            ] {
                if given {
                    errors.push(FieldError::new(
                        name,
                        "an aggregated series comes whole; leave this parameter out",
                    ));
                }
            }
        }
        (None, None) => {}
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        errors.push(FieldError::new(
            "to",
            format!("{to} is before from ({from})"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidParameters(errors))
    }
}

/// List a metric's observations, oldest first, or combine them per day, month, quarter or
/// year.
#[utoipa::path(
    tag = "metrics",
    params(("id" = String, Path, description = "Metric id", example = "medle-actes-enregistres"), ObservationsQuery),
    responses(
        (status = 200, description = "A page of observations, or the series per period", body = ObservationsResponse),
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
    check_combination(&query)?;
    let range = DateRange {
        from: query.from,
        to: query.to,
    };
    let id = id.into_inner();
    if let (Some(granularity), Some(agg)) = (query.granularity, query.agg) {
        let key = id.clone();
        let points = state
            .db(move |conn| {
                if Metric::find(conn, &key)?.is_none() {
                    return Ok(None);
                }
                Observation::points(conn, &key, range).map(Some)
            })
            .await?
            .ok_or_else(|| ApiError::NotFound {
                resource: "metric",
                id: id.clone(),
            })?;
        let data = aggregate(&points, granularity, agg)
            .into_iter()
            .map(|b| PeriodResponse {
                start: b.start,
                end: b.end,
                value: b.value,
                count: b.count,
            })
            .collect();
        return Ok(HttpResponse::Ok().json(AggregatedObservations {
            data,
            meta: AggregationMeta {
                metric: id,
                granularity,
                agg,
                from: range.from,
                to: range.to,
                observations: points.len(),
            },
        }));
    }
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    if let Some((_, key)) = request.position()
        && parse_date(&key).is_err()
    {
        return Err(FieldError::foreign_cursor().into());
    }
    let key = id.clone();
    if state
        .db(move |conn| Metric::find(conn, &key))
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound {
            resource: "metric",
            id,
        });
    }
    let fetch = move |conn: &mut DbConnection, request: &PageRequest| {
        let position = request
            .position()
            .and_then(|(direction, key)| parse_date(&key).ok().map(|date| (direction, date)));
        Observation::page(conn, &id, range, request, position)
            .map(|page| page.map(ObservationResponse::from))
    };
    let format = Format::negotiate(&req, query.format);
    respond_list(&req, &state, format, request, query.wants_whole(), fetch).await
}
