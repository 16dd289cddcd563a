//! `/api/v1/incubators`: the teams that host startups, and their portfolios.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::http::error::{ApiError, FieldError, Problem};
use crate::api::http::query::ApiQuery;
use crate::api::http::state::AppState;
use crate::api::shape::columns::Column;
use crate::api::shape::envelope::{ListResponse, page_request, paged_query};
use crate::api::shape::formats::{CsvRecord, Format, cell, respond_list};
use crate::api::v1::startups::{StartupSummary, StartupsQuery, list_startups_page};
use crate::db::DbConnection;
use crate::db::Keyed;
use crate::db::incubators::Incubator;
use crate::db::page::PageRequest;
pub use crate::representation::incubator::{IncubatorResponse, IncubatorSummary};

impl CsvRecord for IncubatorSummary {
    const COLUMNS: &'static [Column] = &[
        Column::text("id", "Identifier of the incubator")
            .fr("Identifiant", "Identifiant de l'incubateur")
            .example("sgmas")
            .key(),
        Column::text("title", "Name of the incubator")
            .fr("Nom", "Nom de l'incubateur")
            .example("Fabrique numérique des ministères sociaux")
            .required(),
        Column::text("owner", "Identifier of the organisation that runs it")
            .fr(
                "Organisation porteuse",
                "Identifiant de l'organisation qui le porte",
            )
            .example("dinum"),
        Column::text("website", "Its web site")
            .fr("Site", "Son site web")
            .example("https://beta.gouv.fr/")
            .uri(),
        Column::text("contact", "E-mail address or page to reach it")
            .fr("Contact", "Adresse électronique ou page pour le joindre")
            .example("contact@beta.gouv.fr"),
        Column::text("address", "Postal address")
            .fr("Adresse", "Adresse postale")
            .example("20 avenue de Ségur, Paris 7e"),
        Column::text("description", "What it does, in Markdown")
            .fr("Description", "Ce qu'il fait, en Markdown")
            .example(
                "Mission constituée en septembre 2015 au sein de la DINSIC, aujourd'hui DINUM.",
            ),
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.title.clone(),
            cell(&self.owner),
            cell(&self.website),
            cell(&self.contact),
            cell(&self.address),
            cell(&self.description),
        ]
    }
}

paged_query! {
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncubatorsQuery {
}
}

/// List incubators, by id.
#[utoipa::path(
    tag = "incubators",
    params(IncubatorsQuery),
    responses(
        (status = 200, description = "A page of incubators", body = ListResponse<IncubatorSummary>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/incubators")]
pub async fn list_incubators(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<IncubatorsQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    let fetch = |conn: &mut DbConnection, request: &PageRequest| {
        Incubator::page(conn, request).map(|page| page.map(IncubatorSummary::from))
    };
    let format = Format::negotiate(&req, query.format);
    respond_list(&req, &state, format, request, query.wants_whole(), fetch).await
}

/// Get one incubator, with how many of its startups are in each phase.
#[utoipa::path(
    tag = "incubators",
    params(("id" = String, Path, description = "Incubator id", example = "sgmas")),
    responses(
        (status = 200, description = "The incubator", body = IncubatorResponse),
        (status = 404, description = "No such incubator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/incubators/{id}")]
pub async fn get_incubator(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<IncubatorResponse>, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let day = state.today();
    let found = state
        .db(move |conn| IncubatorResponse::read(conn, &key, day))
        .await?;
    found.map(web::Json).ok_or(ApiError::NotFound {
        resource: "incubator",
        id,
    })
}

/// List the startups of one incubator; takes the filters of `/startups` but `incubator`.
#[utoipa::path(
    tag = "incubators",
    params(("id" = String, Path, description = "Incubator id", example = "sgmas"), StartupsQuery),
    responses(
        (status = 200, description = "A page of the incubator's startups", body = ListResponse<StartupSummary>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incubator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/incubators/{id}/startups")]
pub async fn list_incubator_startups(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    ApiQuery(query): ApiQuery<StartupsQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    if !state.db(move |conn| Incubator::exists(conn, &key)).await? {
        return Err(ApiError::NotFound {
            resource: "incubator",
            id,
        });
    }
    if query.incubator.is_some() {
        return Err(FieldError::new(
            "incubator",
            "the incubator is given by the path here; leave this parameter out",
        )
        .into());
    }
    list_startups_page(&req, &state, query, Some(id)).await
}
