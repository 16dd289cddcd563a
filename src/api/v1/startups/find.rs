//! One startup: `/startups/{id}` and its phases and metrics.

use std::collections::HashMap;

use actix_web::http::header::ContentType;
use actix_web::{Either, HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::http::error::{ApiError, Problem};
use crate::api::http::query::{ApiQuery, de};
use crate::api::http::state::AppState;
use crate::api::shape::envelope::{ListResponse, respond_whole_page};
use crate::api::v1::metrics::MetricSummary;
use crate::api::v1::startups::{PhaseSpanResponse, StartupRecord, StartupResponse, phase_spans};
use crate::db::startups::{Relations, Startup};

async fn load_startup(state: &AppState, id: String) -> Result<StartupRecord, ApiError> {
    let key = id.clone();
    let found = state
        .db(move |conn| StartupRecord::read(conn, &key))
        .await?;
    found.ok_or(ApiError::NotFound {
        resource: "startup",
        id,
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartupQuery {
    /// Show the startup as it was on this day (YYYY-MM-DD): `current_phase` is the phase it
    /// was in then; a startup that had not started yet is a 404.
    #[param(example = "2020-06-30", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub as_of: Option<NaiveDate>,
}

/// Get one startup with its phases, sponsors, events and metrics.
#[utoipa::path(
    tag = "startups",
    params(("id" = String, Path, description = "Startup id", example = "medle"), StartupQuery),
    responses(
        (status = 200, description = "The startup", body = StartupResponse),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such startup (on that day)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups/{id}")]
pub async fn get_startup(
    state: web::Data<AppState>,
    id: web::Path<String>,
    ApiQuery(query): ApiQuery<StartupQuery>,
) -> Result<Either<HttpResponse, web::Json<StartupResponse>>, ApiError> {
    let id = id.into_inner();
    // Today's answer is the item stored when the startup was last written, while it holds
    // (`db::startup_lines::item`); any other is rendered from the rows, with the same bytes.
    if query.as_of.is_none()
        && let Some(json) = state.stored_item(&id, state.today()).await?
    {
        let json = HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(json);
        return Ok(Either::Left(json));
    }
    let record = load_startup(&state, id.clone()).await?;
    if let Some(day) = query.as_of
        && record.created_on().is_none_or(|created| created > day)
    {
        return Err(ApiError::NotStarted { id, day });
    }
    Ok(Either::Right(web::Json(
        record.response(query.as_of.unwrap_or_else(|| state.today())),
    )))
}

/// Get a startup's phase history, oldest first, whole, in the list envelope (the phase it is in
/// today is the startup's `current_phase`).
#[utoipa::path(
    tag = "startups",
    params(("id" = String, Path, description = "Startup id", example = "medle")),
    responses(
        (status = 200, description = "The phase history", body = ListResponse<PhaseSpanResponse>),
        (status = 404, description = "No such startup", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups/{id}/phases")]
pub async fn list_startup_phases(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let relations: Option<HashMap<String, Relations>> = state
        .db(move |conn| {
            if !Startup::exists(conn, &key)? {
                return Ok(None);
            }
            Startup::relations(conn, std::slice::from_ref(&key)).map(Some)
        })
        .await?;
    let phases = relations
        .and_then(|mut r| r.remove(&id))
        .ok_or(ApiError::NotFound {
            resource: "startup",
            id,
        })?
        .phases;
    Ok(respond_whole_page(&req, phase_spans(phases)))
}

/// List the impact metrics a startup publishes, whole, in the list envelope.
#[utoipa::path(
    tag = "startups",
    params(("id" = String, Path, description = "Startup id", example = "medle")),
    responses(
        (status = 200, description = "The startup's metrics", body = ListResponse<MetricSummary>),
        (status = 404, description = "No such startup", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups/{id}/metrics")]
pub async fn list_startup_metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let metrics = state
        .db(move |conn| {
            if !Startup::exists(conn, &key)? {
                return Ok(None);
            }
            MetricSummary::of_startup(conn, &key).map(Some)
        })
        .await?;
    let data = metrics.ok_or(ApiError::NotFound {
        resource: "startup",
        id,
    })?;
    Ok(respond_whole_page(&req, data))
}
