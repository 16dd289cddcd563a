//! `/api/v1/startups`: the portfolio, each startup with its phase history.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::list::{ListResponse, page_request, respond};
use super::metrics::MetricSummary;
use super::query::{ApiQuery, de};
use super::state::{AppState, today};
use crate::db::incubators::Incubator;
use crate::db::metrics::Metric;
use crate::db::organisations::Organisation;
use crate::db::phases::Phase;
use crate::db::startups::{PhaseRow, Relations, Startup, StartupFilter};
use crate::domain::phases::{PhaseSpan, current_phase, first_start};
use crate::error::{ApiError, FieldError, Problem};

/// A startup as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartupSummary {
    #[schema(example = "medle")]
    pub id: String,
    #[schema(example = "Medlé")]
    pub name: String,
    /// What it does, in a sentence.
    pub pitch: Option<String>,
    /// Id of the incubator that hosts it.
    #[schema(example = "sgmas")]
    pub incubator: Option<String>,
    /// Ids of its sponsor organisations.
    pub sponsors: Vec<String>,
    /// The phase it is in today: the latest one started.
    #[schema(example = "transfere")]
    pub current_phase: Option<String>,
    /// When its first phase started.
    pub created: Option<NaiveDate>,
    #[schema(example = "https://medle.fabrique.social.gouv.fr")]
    pub link: Option<String>,
}

/// One dated phase of a startup's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseSpanResponse {
    #[schema(example = "construction")]
    pub phase: String,
    pub start: NaiveDate,
    /// Absent while the phase runs; a phase also ends when the next one starts.
    pub end: Option<NaiveDate>,
}

/// Something that happened to a startup.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    pub name: String,
    pub date: NaiveDate,
    pub comment: Option<String>,
}

/// A reference to the incubator of a startup.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncubatorRef {
    #[schema(example = "sgmas")]
    pub id: String,
    pub title: String,
}

/// A reference to a sponsor of a startup.
#[derive(Debug, Serialize, ToSchema)]
pub struct SponsorRef {
    #[schema(example = "dgs")]
    pub id: String,
    pub name: String,
    pub acronym: Option<String>,
}

/// A startup in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartupResponse {
    pub id: String,
    pub name: String,
    pub pitch: Option<String>,
    pub description: Option<String>,
    pub incubator: Option<IncubatorRef>,
    pub sponsors: Vec<SponsorRef>,
    pub current_phase: Option<String>,
    pub created: Option<NaiveDate>,
    /// The phase history, oldest first.
    pub phases: Vec<PhaseSpanResponse>,
    pub events: Vec<EventResponse>,
    pub link: Option<String>,
    pub repository: Option<String>,
    pub contact: Option<String>,
    /// Who it serves, e.g. `particulier`.
    pub usertypes: Vec<String>,
    /// Public-policy themes, e.g. `Santé`.
    pub thematiques: Vec<String>,
    /// The impact metrics it publishes.
    pub metrics: Vec<MetricSummary>,
}

fn spans(rows: &[PhaseRow]) -> Vec<PhaseSpan> {
    rows.iter()
        .map(|r| PhaseSpan {
            phase: r.phase_id.clone(),
            start: r.start_date,
            end: r.end_date,
        })
        .collect()
}

/// The phase on `day` and the creation date, from a loaded history.
fn derived(rows: &[PhaseRow], day: NaiveDate) -> (Option<String>, Option<NaiveDate>) {
    let history = spans(rows);
    let current = current_phase(&history, day).map(|s| s.phase.clone());
    (current, first_start(&history))
}

impl StartupSummary {
    fn new(startup: Startup, relations: Relations, day: NaiveDate) -> Self {
        let (current_phase, created) = derived(&relations.phases, day);
        Self {
            id: startup.id,
            name: startup.name,
            pitch: startup.pitch,
            incubator: startup.incubator_id,
            sponsors: relations.sponsors,
            current_phase,
            created,
            link: startup.link,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartupsQuery {
    /// Current phase, one or several separated by commas (see `/api/v1/phases`).
    #[param(example = "construction,acceleration", value_type = Option<String>)]
    #[serde(default, deserialize_with = "de::comma_list")]
    pub phase: Vec<String>,
    /// Incubator id.
    #[param(example = "sgmas")]
    pub incubator: Option<String>,
    /// Sponsor organisation id.
    #[param(example = "dgs")]
    pub sponsor: Option<String>,
    /// Items per page, from 1 to 1000.
    #[param(minimum = 1, maximum = 1000, example = 20, value_type = Option<u32>)]
    #[serde(default, deserialize_with = "de::page_size")]
    pub page_size: Option<u32>,
    /// Opaque position, as found in `links.next` or `links.prev`.
    pub cursor: Option<String>,
}

/// List startups, by id, filtered by current phase, incubator and sponsor.
#[utoipa::path(
    tag = "startups",
    params(StartupsQuery),
    responses(
        (status = 200, description = "A page of startups", body = ListResponse<StartupSummary>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups")]
pub async fn list_startups(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<StartupsQuery>,
) -> Result<HttpResponse, ApiError> {
    list_startups_page(&req, &state, query, None).await
}

/// Serves a page of startups, with `incubator` forced when given.
pub async fn list_startups_page(
    req: &HttpRequest,
    state: &AppState,
    query: StartupsQuery,
    incubator: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    if !query.phase.is_empty() {
        let known: Vec<String> = state
            .db(Phase::all)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        if let Some(unknown) = query.phase.iter().find(|p| !known.contains(p)) {
            return Err(FieldError::new(
                "phase",
                format!("`{unknown}` is not a phase; allowed: {}", known.join(", ")),
            )
            .into());
        }
    }
    let day = today();
    let filter = StartupFilter {
        phases: query.phase,
        incubator: incubator.or(query.incubator),
        sponsor: query.sponsor,
        day,
    };
    let size = request.size;
    let (page, mut relations) = state
        .db(move |conn| {
            let page = Startup::page(conn, &filter, &request)?;
            let ids: Vec<String> = page.rows.iter().map(|s| s.id.clone()).collect();
            Ok((page, Startup::relations(conn, &ids)?))
        })
        .await?;
    let page = page.map(|s| {
        let r = relations.remove(&s.id).unwrap_or_default();
        StartupSummary::new(s, r, day)
    });
    Ok(respond(req, page, size))
}

/// Everything shown about one startup, read in one go.
struct StartupRecord {
    startup: Startup,
    relations: Relations,
    incubator: Option<Incubator>,
    sponsors: Vec<Organisation>,
    metrics: Vec<MetricSummary>,
}

async fn load_startup(state: &AppState, id: String) -> Result<StartupRecord, ApiError> {
    let key = id.clone();
    let found = state
        .db(move |conn| {
            let Some(startup) = Startup::find(conn, &key)? else {
                return Ok(None);
            };
            let relations = Startup::relations(conn, std::slice::from_ref(&key))?
                .remove(&key)
                .unwrap_or_default();
            let incubator = match &startup.incubator_id {
                Some(i) => Incubator::find(conn, i)?,
                None => None,
            };
            let mut sponsors = Vec::new();
            for sponsor in &relations.sponsors {
                sponsors.extend(Organisation::find(conn, sponsor)?);
            }
            let metrics = MetricSummary::of_startup(conn, &key)?;
            Ok(Some(StartupRecord {
                startup,
                relations,
                incubator,
                sponsors,
                metrics,
            }))
        })
        .await?;
    found.ok_or(ApiError::NotFound {
        resource: "startup",
        id,
    })
}

/// Get one startup with its phases, sponsors, events and metrics.
#[utoipa::path(
    tag = "startups",
    params(("id" = String, Path, description = "Startup id", example = "medle")),
    responses(
        (status = 200, description = "The startup", body = StartupResponse),
        (status = 404, description = "No such startup", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups/{id}")]
pub async fn get_startup(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<StartupResponse>, ApiError> {
    let record = load_startup(&state, id.into_inner()).await?;
    let (current_phase, created) = derived(&record.relations.phases, today());
    let StartupRecord {
        startup,
        relations,
        incubator,
        sponsors,
        metrics,
    } = record;
    Ok(web::Json(StartupResponse {
        id: startup.id,
        name: startup.name,
        pitch: startup.pitch,
        description: startup.description,
        incubator: incubator.map(|i| IncubatorRef {
            id: i.id,
            title: i.title,
        }),
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
        metrics,
    }))
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
    let (current_phase, _) = derived(&phases, today());
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
    fn of_startup(
        conn: &mut crate::db::DbConnection,
        startup: &str,
    ) -> diesel::QueryResult<Vec<Self>> {
        let metrics = Metric::of_startup(conn, startup)?;
        Self::with_latest(conn, metrics)
    }
}
