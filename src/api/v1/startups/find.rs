//! One startup: `/startups/{id}` and its phases and metrics.

use std::collections::HashMap;

use actix_web::{get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::http::error::{ApiError, Problem};
use crate::api::http::query::{ApiQuery, de};
use crate::api::http::state::AppState;
use crate::api::v1::metrics::MetricSummary;
use crate::api::v1::startups::{
    PhaseSpanResponse, StartupRecord, StartupResponse, derived, phase_spans,
};
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
) -> Result<web::Json<StartupResponse>, ApiError> {
    let id = id.into_inner();
    let record = load_startup(&state, id.clone()).await?;
    if let Some(day) = query.as_of
        && record.created_on().is_none_or(|created| created > day)
    {
        return Err(ApiError::NotStarted { id, day });
    }
    Ok(web::Json(
        record.response(query.as_of.unwrap_or_else(|| state.today())),
    ))
}

/// A startup's phase history.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartupPhasesResponse {
    pub data: Vec<PhaseSpanResponse>,
    /// The phase it is in today.
    pub current_phase: Option<String>,
}

/// Get a startup's phase history, oldest first.
#[utoipa::path(
    tag = "startups",
    params(("id" = String, Path, description = "Startup id", example = "medle")),
    responses(
        (status = 200, description = "The phase history", body = StartupPhasesResponse),
        (status = 404, description = "No such startup", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups/{id}/phases")]
pub async fn list_startup_phases(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<StartupPhasesResponse>, ApiError> {
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
    let (current_phase, _) = derived(&phases, state.today());
    Ok(web::Json(StartupPhasesResponse {
        data: phase_spans(phases),
        current_phase,
    }))
}

/// A startup's metrics.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartupMetricsResponse {
    pub data: Vec<MetricSummary>,
}

/// List the impact metrics a startup publishes.
#[utoipa::path(
    tag = "startups",
    params(("id" = String, Path, description = "Startup id", example = "medle")),
    responses(
        (status = 200, description = "The startup's metrics", body = StartupMetricsResponse),
        (status = 404, description = "No such startup", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups/{id}/metrics")]
pub async fn list_startup_metrics(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<StartupMetricsResponse>, ApiError> {
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
    Ok(web::Json(StartupMetricsResponse { data }))
}
