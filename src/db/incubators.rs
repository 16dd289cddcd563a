//! Queries on `incubators`, the teams that host startups.

use diesel::prelude::*;

use super::DbConnection;
use super::page::{Page, PageRequest, keyset_order};
use super::schema::incubators;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = incubators)]
pub struct Incubator {
    pub id: String,
    pub title: String,
    pub owner_id: Option<String>,
    pub website: Option<String>,
    pub contact: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
}

impl Incubator {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>> {
        incubators::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    pub fn exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(incubators::table.find(id))).get_result(conn)
    }

    /// Every incubator, in id order; the network counts a few dozen.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Self>> {
        incubators::table
            .select(Self::as_select())
            .order(incubators::id)
            .load(conn)
    }

    pub fn page(conn: &mut DbConnection, request: &PageRequest) -> QueryResult<Page<Self>> {
        let total = incubators::table.count().get_result(conn)?;
        let query = incubators::table.select(Self::as_select()).into_boxed();
        let rows = keyset_order!(query, incubators::id, request.position())
            .limit(request.limit())
            .load(conn)?;
        Ok(Page::from_rows(request, rows, total, |i| i.id.clone()))
    }

    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
        diesel::insert_into(incubators::table)
            .values(self)
            .execute(conn)
            .map(drop)
    }
}
