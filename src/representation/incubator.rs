//! An incubator as the API lists it and shows it, and as the change feed records it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::QueryResult;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::incubators::Incubator;
use crate::db::phases::Phase;

/// An incubator as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncubatorSummary {
    #[schema(example = "sgmas")]
    pub id: String,
    #[schema(example = "Fabrique numérique des ministères sociaux")]
    pub title: String,
    /// Id of the organisation that runs it.
    #[schema(example = "solidarite-sante")]
    pub owner: Option<String>,
    pub website: Option<String>,
    pub contact: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
}

impl From<Incubator> for IncubatorSummary {
    fn from(i: Incubator) -> Self {
        Self {
            id: i.id,
            title: i.title,
            owner: i.owner_id,
            website: i.website,
            contact: i.contact,
            address: i.address,
            description: i.description,
        }
    }
}

/// An incubator with its portfolio today.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncubatorResponse {
    #[serde(flatten)]
    pub incubator: IncubatorSummary,
    /// How many of its startups are in each phase today; phases with none are left out.
    #[schema(example = json!({"transfere": 4, "abandon": 2}))]
    pub startups_by_phase: BTreeMap<String, i64>,
}

impl IncubatorResponse {
    /// The incubator as its item route shows it, with its portfolio on `day`; `None` when
    /// there is no such incubator. Writes read it inside their transaction.
    pub fn read(conn: &mut DbConnection, id: &str, day: NaiveDate) -> QueryResult<Option<Self>> {
        Incubator::find(conn, id)?
            .map(|incubator| Self::of(conn, incubator, day))
            .transpose()
    }

    /// The stored `incubator` as its item route shows it, with its portfolio on `day`.
    pub fn of(conn: &mut DbConnection, incubator: Incubator, day: NaiveDate) -> QueryResult<Self> {
        let startups_by_phase = Phase::current_counts(conn, day, day, Some(&incubator.id))?;
        Ok(Self {
            incubator: incubator.into(),
            startups_by_phase,
        })
    }
}
