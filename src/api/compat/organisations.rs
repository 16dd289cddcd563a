//! `organisations.json`: every organisation, in an array. Organisations are a few hundred at
//! most, so the answer is built whole.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::upstream_organisation_type;
use crate::api::state::AppState;
use crate::db::organisations::Organisation;
use crate::error::ApiError;

/// An organisation as upstream's template writes it; absent values are empty strings.
#[derive(Debug, Serialize)]
struct OrganisationItem {
    id: String,
    name: String,
    acronym: String,
    /// Not recorded here: always empty.
    domaine_ministeriel: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl From<Organisation> for OrganisationItem {
    fn from(organisation: Organisation) -> Self {
        Self {
            kind: upstream_organisation_type(&organisation.kind),
            id: organisation.id,
            name: organisation.name,
            acronym: organisation.acronym.unwrap_or_default(),
            domaine_ministeriel: String::new(),
        }
    }
}

/// `GET /compat/v2.7/organisations.json`, in id order.
pub async fn organisations_json(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let organisations = state.db(Organisation::all).await?;
    let items: Vec<OrganisationItem> = organisations.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(items))
}
