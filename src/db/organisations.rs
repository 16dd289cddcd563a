//! Queries on `organisations`: the ministries, agencies and authorities that sponsor startups.

use diesel::prelude::*;

use super::DbConnection;
use super::keyed::one_row_by_id;
use super::one_of::one_of;
use super::page::{Page, PageRequest, keyset_order};
use super::schema::{incubators, organisations, startup_sponsors};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organisations, treat_none_as_null = true)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub acronym: Option<String>,
    pub kind: String,
}

/// How much an organisation takes part in the programme: also what keeps it from being
/// deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Involvement {
    pub incubators: Vec<String>,
    pub sponsored_startups: i64,
}

impl Involvement {
    /// Whether nothing points at the organisation.
    pub fn is_empty(&self) -> bool {
        self.incubators.is_empty() && self.sponsored_startups == 0
    }
}

one_row_by_id!(Organisation, organisations);

impl Organisation {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>> {
        organisations::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The organisations among `ids` that exist, by id.
    pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Self>> {
        organisations::table
            .filter(one_of(organisations::id, ids))
            .order(organisations::id)
            .select(Self::as_select())
            .load(conn)
    }

    pub fn page(conn: &mut DbConnection, request: &PageRequest) -> QueryResult<Page<Self>> {
        let total = request.total(|| organisations::table.count().get_result(conn))?;
        let query = organisations::table.select(Self::as_select()).into_boxed();
        let rows = keyset_order!(query, organisations::id, request.position())
            .limit(request.limit())
            .load(conn)?;
        Ok(Page::from_rows(request, rows, total, |o| o.id.clone()))
    }

    pub fn involvement(conn: &mut DbConnection, id: &str) -> QueryResult<Involvement> {
        let incubators = incubators::table
            .filter(incubators::owner_id.eq(id))
            .select(incubators::id)
            .order(incubators::id)
            .load(conn)?;
        let sponsored_startups = startup_sponsors::table
            .filter(startup_sponsors::organisation_id.eq(id))
            .count()
            .get_result(conn)?;
        Ok(Involvement {
            incubators,
            sponsored_startups,
        })
    }

    /// Every organisation, in id order; a few hundred at most.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Self>> {
        organisations::table
            .select(Self::as_select())
            .order(organisations::id)
            .load(conn)
    }
}
