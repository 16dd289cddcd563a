//! `/api/v1/organisations`: the ministries, agencies and authorities behind the startups.

use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel::QueryResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::columns::Column;
use super::export::{CsvRecord, Format, Reading, cell, respond_list};
use super::list::{ListResponse, page_request, paged_query};
use super::query::ApiQuery;
use super::state::AppState;
use crate::db::DbConnection;
use crate::db::organisations::{Involvement, Organisation};
use crate::db::page::PageRequest;
use crate::error::{ApiError, Problem};

/// An organisation as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationSummary {
    #[schema(example = "dgs")]
    pub id: String,
    #[schema(example = "Direction générale de la santé")]
    pub name: String,
    #[schema(example = "DGS")]
    pub acronym: Option<String>,
    /// Its type, as beta.gouv.fr's content tree names them: `administration-centrale`,
    /// `operateur`, `collectivite-territoriale`, `service-deconcentre`, `securite-sociale`,
    /// `autre`…
    #[schema(example = "administration-centrale")]
    pub kind: String,
}

impl From<Organisation> for OrganisationSummary {
    fn from(o: Organisation) -> Self {
        Self {
            id: o.id,
            name: o.name,
            acronym: o.acronym,
            kind: o.kind,
        }
    }
}

impl CsvRecord for OrganisationSummary {
    const COLUMNS: &'static [Column] = &[
        Column::text("id", "Identifier of the organisation").key(),
        Column::text("name", "Full name").required(),
        Column::text("acronym", "Usual acronym"),
        Column::text(
            "kind",
            "What sort of body it is, as beta.gouv.fr names it: administration-centrale, \
             operateur, collectivite-territoriale, service-deconcentre, securite-sociale, autre…",
        )
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

/// An organisation with what it takes part in.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationResponse {
    #[serde(flatten)]
    pub organisation: OrganisationSummary,
    /// Ids of the incubators it owns.
    pub incubators: Vec<String>,
    /// How many startups it sponsors.
    #[schema(example = 2)]
    pub sponsored_startups: i64,
}

impl OrganisationResponse {
    /// The organisation as its item route shows it; `None` when there is no such
    /// organisation. Writes read it inside their transaction.
    pub fn read(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>> {
        let Some(organisation) = Organisation::find(conn, id)? else {
            return Ok(None);
        };
        let Involvement {
            incubators,
            sponsored_startups,
        } = Organisation::involvement(conn, id)?;
        Ok(Some(Self {
            organisation: organisation.into(),
            incubators,
            sponsored_startups,
        }))
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
    let fetch = |conn: &mut DbConnection, request: &PageRequest, _: Reading| {
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
