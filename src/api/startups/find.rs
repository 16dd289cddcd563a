//! One startup: `/startups/{id}` and its phases and metrics.

use std::collections::HashMap;

use actix_web::{get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{EventResponse, IncubatorRef, PhaseSpanResponse, SponsorRef, StartupResponse, derived};
use crate::api::metrics::MetricSummary;
use crate::api::query::{ApiQuery, de};
use crate::api::state::AppState;
use crate::db::DbConnection;
use crate::db::incubators::Incubator;
use crate::db::metrics::Metric;
use crate::db::organisations::Organisation;
use crate::db::startups::{PhaseRow, Relations, Startup, StartupGraph};
use crate::error::{ApiError, Problem};
use diesel::QueryResult;

/// Everything shown about one startup, read in one go.
pub struct StartupRecord {
    startup: Startup,
    relations: Relations,
    incubator: Option<Incubator>,
    co_incubators: Vec<Incubator>,
    sponsors: Vec<Organisation>,
    metrics: Vec<MetricSummary>,
}

impl StartupRecord {
    /// Reads everything shown about startup `id`; `None` when there is no such startup.
    pub fn read(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>> {
        Ok(Self::read_many(conn, &[id.to_owned()])?.pop())
    }

    /// Reads everything shown about the startups among `ids` that exist, by id, in one query
    /// per table whatever their number.
    pub fn read_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Self>> {
        let startups = Startup::find_many(conn, ids)?;
        let mut relations = Startup::relations(conn, ids)?;
        let incubator_ids: Vec<String> = (startups.iter().filter_map(|s| s.incubator_id.clone()))
            .chain(
                relations
                    .values()
                    .flat_map(|r| r.co_incubators.iter().cloned()),
            )
            .collect();
        let incubators: HashMap<String, Incubator> = Incubator::find_many(conn, &incubator_ids)?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
        let sponsor_ids: Vec<String> = relations
            .values()
            .flat_map(|r| r.sponsors.iter().cloned())
            .collect();
        let sponsors: HashMap<String, Organisation> = Organisation::find_many(conn, &sponsor_ids)?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
        let mut metrics: HashMap<String, Vec<MetricSummary>> = HashMap::new();
        let of_startups = Metric::of_startups(conn, ids)?;
        for summary in MetricSummary::with_latest(conn, of_startups)? {
            if let Some(startup) = summary.startup.clone() {
                metrics.entry(startup).or_default().push(summary);
            }
        }
        Ok(startups
            .into_iter()
            .map(|startup| {
                let relations = relations.remove(&startup.id).unwrap_or_default();
                Self {
                    incubator: (startup.incubator_id.as_ref())
                        .and_then(|i| incubators.get(i).cloned()),
                    co_incubators: (relations.co_incubators.iter())
                        .filter_map(|i| incubators.get(i).cloned())
                        .collect(),
                    sponsors: (relations.sponsors.iter())
                        .filter_map(|o| sponsors.get(o).cloned())
                        .collect(),
                    metrics: metrics.remove(&startup.id).unwrap_or_default(),
                    startup,
                    relations,
                }
            })
            .collect())
    }

    /// The stored rows of the startup and its relations.
    pub fn graph(&self) -> StartupGraph {
        StartupGraph {
            startup: self.startup.clone(),
            relations: self.relations.clone(),
        }
    }

    pub fn id(&self) -> &str {
        &self.startup.id
    }

    /// The id of the incubator hosting the startup, which decides who may write it.
    pub fn incubator_id(&self) -> Option<&str> {
        self.startup.incubator_id.as_deref()
    }

    /// The startup as `/startups/{id}` shows it on `day`.
    pub fn response(self, day: NaiveDate) -> StartupResponse {
        let (current_phase, created) = derived(&self.relations.phases, day);
        let StartupRecord {
            startup,
            relations,
            incubator,
            co_incubators,
            sponsors,
            metrics,
        } = self;
        let reference = |i: Incubator| IncubatorRef {
            id: i.id,
            title: i.title,
        };
        let incubators = (incubator.iter().cloned())
            .chain(co_incubators)
            .map(reference)
            .collect();
        StartupResponse {
            id: startup.id,
            name: startup.name,
            pitch: startup.pitch,
            description: startup.description,
            incubator: incubator.map(reference),
            incubators,
            sponsors: sponsors
                .into_iter()
                .map(|o| SponsorRef {
                    id: o.id,
                    name: o.name,
                    acronym: o.acronym,
                })
                .collect(),
            current_phase,
            created,
            updated: startup.updated_at.and_utc(),
            phases: phase_spans(relations.phases),
            events: relations
                .events
                .into_iter()
                .map(|e| EventResponse {
                    name: e.name,
                    date: e.date,
                    comment: e.comment,
                })
                .collect(),
            link: startup.link,
            repository: startup.repository,
            contact: startup.contact,
            usertypes: relations.usertypes,
            thematiques: relations.thematiques,
            techno: relations.techno,
            stats_url: startup.stats_url,
            accessibility_status: startup.accessibility_status,
            metrics,
        }
    }
}

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
        && record
            .startup
            .created_on
            .is_none_or(|created| created > day)
    {
        return Err(ApiError::NotStarted { id, day });
    }
    Ok(web::Json(
        record.response(query.as_of.unwrap_or_else(|| state.today())),
    ))
}

fn phase_spans(rows: Vec<PhaseRow>) -> Vec<PhaseSpanResponse> {
    rows.into_iter()
        .map(|r| PhaseSpanResponse {
            phase: r.phase_id,
            start: r.start_date,
            end: r.end_date,
        })
        .collect()
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

impl MetricSummary {
    /// The metrics of one startup, each with its latest observation.
    fn of_startup(conn: &mut DbConnection, startup: &str) -> QueryResult<Vec<Self>> {
        let metrics = Metric::of_startup(conn, startup)?;
        Self::with_latest(conn, metrics)
    }
}
