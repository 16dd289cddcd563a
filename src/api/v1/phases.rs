//! `/api/v1/phases`: the reference list of phases, with how many startups are in each.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::http::error::{ApiError, Problem};
use crate::api::http::query::ApiQuery;
use crate::api::http::state::AppState;
use crate::api::shape::columns::{Column, FieldType};
use crate::api::shape::envelope::ListResponse;
use crate::api::shape::formats::{CsvRecord, Format, respond_whole};
use crate::db::phases::Phase;
use crate::domain::phases::REFERENCE_PHASES;

/// A phase of the method, or a way out of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseResponse {
    #[schema(example = "construction")]
    pub id: String,
    /// French label.
    #[schema(example = "Construction")]
    pub label: String,
    /// Position in the method, from 1.
    #[schema(example = 2)]
    pub order: i32,
    /// `active` for the four phases of the method, `exit` for the ways out of it.
    #[schema(example = "active")]
    pub kind: String,
    pub description: String,
    /// How many startups are in this phase today.
    #[schema(example = 3)]
    pub startups: i64,
}

impl PhaseResponse {
    fn new(phase: Phase, startups: i64) -> Self {
        Self {
            id: phase.id,
            label: phase.label,
            order: phase.position,
            kind: phase.kind,
            description: phase.description,
            startups,
        }
    }
}

/// The phase list is short and always whole: it takes no paging parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhasesQuery {
    /// Representation: json (the default), csv or ndjson; `Accept: text/csv` or
    /// `application/x-ndjson` does the same.
    #[param(inline, example = "csv")]
    pub format: Option<Format>,
}

impl CsvRecord for PhaseResponse {
    const COLUMNS: &'static [Column] = &[
        Column::text("id", "Identifier of the phase")
            .fr("Identifiant", "Identifiant de la phase")
            .example("investigation")
            .key()
            .one_of(&REFERENCE_PHASES),
        Column::text("label", "French label")
            .fr("Libellé", "Libellé en français")
            .example("Investigation")
            .required(),
        Column::new(
            "order",
            FieldType::Integer,
            "Position in the method, from 1",
        )
        .fr("Ordre", "Position dans la méthode, à partir de 1")
        .example("1")
        .key(),
        Column::text(
            "kind",
            "`active` for a phase of the method, `exit` for a way out of it",
        )
        .fr(
            "Nature",
            "`active` pour une phase de la méthode, `exit` pour une façon d'en sortir",
        )
        .example("active")
        .required()
        .one_of(&["active", "exit"]),
        Column::text("description", "What happens in this phase")
            .fr("Description", "Ce qui se passe pendant cette phase")
            .example(
                "Un agent public ou une administration repère un irritant de politique publique.",
            )
            .required(),
        Column::new(
            "startups",
            FieldType::Integer,
            "How many startups are in this phase on the day of the export",
        )
        .fr(
            "Startups",
            "Nombre de startups dans cette phase au jour de l'export",
        )
        .example("12")
        .required(),
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.label.clone(),
            self.order.to_string(),
            self.kind.clone(),
            self.description.clone(),
            self.startups.to_string(),
        ]
    }
}

/// List the phases in the order of the method.
#[utoipa::path(
    tag = "phases",
    params(PhasesQuery),
    responses(
        (status = 200, description = "Every phase", body = ListResponse<PhaseResponse>),
        (status = 400, description = "Unknown parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/phases")]
pub async fn list_phases(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<PhasesQuery>,
) -> Result<HttpResponse, ApiError> {
    let day = state.today();
    let (phases, counts) = state
        .db(move |conn| {
            Ok((
                Phase::all(conn)?,
                Phase::current_counts(conn, day, day, None)?,
            ))
        })
        .await?;
    let data: Vec<PhaseResponse> = phases
        .into_iter()
        .map(|p| {
            let count = counts.get(&p.id).copied().unwrap_or(0);
            PhaseResponse::new(p, count)
        })
        .collect();
    let format = Format::negotiate(&req, query.format);
    respond_whole(&req, format, data)
}

/// Get one phase.
#[utoipa::path(
    tag = "phases",
    params(("id" = String, Path, description = "Phase id", example = "construction")),
    responses(
        (status = 200, description = "The phase", body = PhaseResponse),
        (status = 404, description = "No such phase", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/phases/{id}")]
pub async fn get_phase(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<PhaseResponse>, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let day = state.today();
    let found = state
        .db(move |conn| {
            let Some(phase) = Phase::find(conn, &key)? else {
                return Ok(None);
            };
            let counts = Phase::current_counts(conn, day, day, None)?;
            Ok(Some((phase, counts)))
        })
        .await?;
    let (phase, counts) = found.ok_or(ApiError::NotFound {
        resource: "phase",
        id,
    })?;
    let count = counts.get(&phase.id).copied().unwrap_or(0);
    Ok(web::Json(PhaseResponse::new(phase, count)))
}
