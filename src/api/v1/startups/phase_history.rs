//! `/api/v1/phase-history`: every dated phase of every startup, one row each — the phase
//! history as a dataset of its own, for reusers who want it flat.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::http::error::{ApiError, FieldError, Problem};
use crate::api::http::query::ApiQuery;
use crate::api::http::state::AppState;
use crate::api::shape::columns::Column;
use crate::api::shape::envelope::{ListResponse, page_request, paged_query};
use crate::api::shape::formats::{CsvRecord, Format, cell, respond_list};
use crate::api::v1::startups::lines::{self, Document};
use crate::db::DbConnection;
use crate::db::page::PageRequest;
use crate::db::startups::{HistoryFilter, PhaseRow};
use crate::domain::phases::REFERENCE_PHASES;

/// One phase of one startup.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseHistoryEntry {
    #[schema(example = "medle")]
    pub startup: String,
    #[schema(example = "construction")]
    pub phase: String,
    pub start: NaiveDate,
    /// The last day, as recorded; absent while the phase runs. A phase also ends when the
    /// startup's next one starts.
    pub end: Option<NaiveDate>,
}

impl From<PhaseRow> for PhaseHistoryEntry {
    fn from(row: PhaseRow) -> Self {
        Self {
            startup: row.startup_id,
            phase: row.phase_id,
            start: row.start_date,
            end: row.end_date,
        }
    }
}

impl CsvRecord for PhaseHistoryEntry {
    const COLUMNS: &'static [Column] = &[
        Column::text("startup", "Identifier of the startup")
            .fr("Startup", "Identifiant de la startup")
            .example("medle")
            .required(),
        Column::text("phase", "Identifier of the phase")
            .fr("Phase", "Identifiant de la phase")
            .example("construction")
            .required()
            .one_of(&REFERENCE_PHASES),
        Column::date("start", "First day of the phase")
            .fr("Début", "Premier jour de la phase")
            .example("2019-09-01")
            .required(),
        Column::date(
            "end",
            "Last day of the phase, as recorded; empty while it runs (the next phase's start \
             also ends it)",
        )
        .fr(
            "Fin",
            "Dernier jour de la phase, tel qu'enregistré ; vide tant qu'elle dure (le début de \
             la phase suivante la clôt aussi)",
        )
        .example("2020-06-01"),
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.startup.clone(),
            self.phase.clone(),
            self.start.to_string(),
            cell(&self.end),
        ]
    }
}

paged_query! {
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhaseHistoryQuery {
    /// Only the phases of this startup.
    #[param(example = "medle")]
    pub startup: Option<String>,
    /// Only the rows of this phase (see `/api/v1/phases`).
    #[param(example = "construction")]
    pub phase: Option<String>,
}
}

/// List the phases of every startup, by startup then start.
#[utoipa::path(
    tag = "startups",
    params(PhaseHistoryQuery),
    responses(
        (status = 200, description = "A page of the phase history", body = ListResponse<PhaseHistoryEntry>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/phase-history")]
pub async fn list_phase_history(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<PhaseHistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    request
        .pair_position::<String, i32>()
        .map_err(|_| FieldError::foreign_cursor())?;
    if let Some(phase) = query
        .phase
        .as_deref()
        .filter(|p| !REFERENCE_PHASES.contains(p))
    {
        return Err(FieldError::new(
            "phase",
            format!(
                "`{phase}` is not a phase; allowed: {}",
                REFERENCE_PHASES.join(", ")
            ),
        )
        .into());
    }
    let whole = query.wants_whole();
    let format = Format::negotiate(&req, query.format);
    if whole && format != Format::Json && query.startup.is_none() && query.phase.is_none() {
        return lines::respond_whole(&state, Document::PhaseHistory, format, state.today()).await;
    }
    let filter = HistoryFilter {
        startup: query.startup,
        phase: query.phase,
    };
    let fetch = move |conn: &mut DbConnection, request: &PageRequest| {
        PhaseRow::page(conn, &filter, request).map(|page| page.map(PhaseHistoryEntry::from))
    };
    respond_list(&req, &state, format, request, whole, fetch).await
}
