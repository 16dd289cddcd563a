//! `/api/v1/organisations`: the ministries, agencies and authorities behind the startups.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::http::error::{ApiError, Problem};
use crate::api::http::query::ApiQuery;
use crate::api::http::state::AppState;
use crate::api::shape::columns::Column;
use crate::api::shape::envelope::{ListResponse, page_request, paged_query};
use crate::api::shape::formats::{CsvRecord, Format, cell, respond_list};
use crate::db::DbConnection;
use crate::db::organisations::Organisation;
use crate::db::page::PageRequest;
pub use crate::representation::organisation::{OrganisationResponse, OrganisationSummary};

impl CsvRecord for OrganisationSummary {
    const COLUMNS: &'static [Column] = &[
        Column::text("id", "Identifier of the organisation")
            .fr("Identifiant", "Identifiant de l'organisation")
            .example("dgos")
            .key(),
        Column::text("name", "Full name")
            .fr("Nom", "Nom complet")
            .example("Direction générale de l'offre de soins")
            .required(),
        Column::text("acronym", "Usual acronym")
            .fr("Sigle", "Sigle usuel")
            .example("DGOS"),
        Column::text(
            "kind",
            "What sort of body it is, as beta.gouv.fr names it: administration-centrale, \
             operateur, collectivite-territoriale, service-deconcentre, securite-sociale, autre…",
        )
        .fr(
            "Type",
            "La sorte d'organisme, comme beta.gouv.fr la nomme : administration-centrale, \
             operateur, collectivite-territoriale, service-deconcentre, securite-sociale, autre…",
        )
        .example("administration-centrale")
        .required(),
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            cell(&self.acronym),
            self.kind.clone(),
        ]
    }
}

paged_query! {
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationsQuery {
}
}

/// List organisations, by id.
#[utoipa::path(
    tag = "organisations",
    params(OrganisationsQuery),
    responses(
        (status = 200, description = "A page of organisations", body = ListResponse<OrganisationSummary>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/organisations")]
pub async fn list_organisations(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<OrganisationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    let fetch = |conn: &mut DbConnection, request: &PageRequest| {
        Organisation::page(conn, request).map(|page| page.map(OrganisationSummary::from))
    };
    let format = Format::negotiate(&req, query.format);
    respond_list(&req, &state, format, request, query.wants_whole(), fetch).await
}

/// Get one organisation.
#[utoipa::path(
    tag = "organisations",
    params(("id" = String, Path, description = "Organisation id", example = "dgs")),
    responses(
        (status = 200, description = "The organisation", body = OrganisationResponse),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/organisations/{id}")]
pub async fn get_organisation(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<OrganisationResponse>, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let found = state
        .db(move |conn| OrganisationResponse::read(conn, &key))
        .await?;
    found.map(web::Json).ok_or(ApiError::NotFound {
        resource: "organisation",
        id,
    })
}
