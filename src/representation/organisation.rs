//! An organisation as the API lists it and shows it, and as the change feed records it.

use diesel::QueryResult;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::organisations::{Involvement, Organisation};

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
        Organisation::find(conn, id)?
            .map(|organisation| Self::of(conn, organisation))
            .transpose()
    }

    /// The stored `organisation` as its item route shows it.
    pub fn of(conn: &mut DbConnection, organisation: Organisation) -> QueryResult<Self> {
        let Involvement {
            incubators,
            sponsored_startups,
        } = Organisation::involvement(conn, &organisation.id)?;
        Ok(Self {
            organisation: organisation.into(),
            incubators,
            sponsored_startups,
        })
    }
}
