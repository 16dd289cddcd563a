//! Queries on `incubators`, the teams that host startups.

use diesel::prelude::*;

use super::DbConnection;
use super::keyed::one_row_by_id;
use super::one_of::one_of;
use super::page::{Page, PageRequest, keyset_order};
use super::schema::{incubators, startups, tokens};
use super::startups::in_incubator;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = incubators, treat_none_as_null = true)]
pub struct Incubator {
    pub id: String,
    pub title: String,
    pub owner_id: Option<String>,
    pub website: Option<String>,
    pub contact: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
}

one_row_by_id!(Incubator, incubators);

impl Incubator {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>> {
        incubators::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The incubators among `ids` that exist, by id.
    pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Self>> {
        incubators::table
            .filter(one_of(incubators::id, ids))
            .order(incubators::id)
            .select(Self::as_select())
            .load(conn)
    }

    /// The ids of the hidden incubators.
    pub fn hidden_ids(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
        incubators::table
            .filter(incubators::hidden.eq(true))
            .select(incubators::id)
            .order(incubators::id)
            .load(conn)
    }

    /// Hides incubator `id` from the public lists, or shows it again; whether it changed.
    pub fn set_hidden(conn: &mut DbConnection, id: &str, hidden: bool) -> QueryResult<bool> {
        let changed = diesel::update(
            incubators::table
                .find(id)
                .filter(incubators::hidden.ne(hidden)),
        )
        .set(incubators::hidden.eq(hidden))
        .execute(conn)?;
        Ok(changed > 0)
    }

    /// Every incubator, in id order; the network counts a few dozen.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Self>> {
        incubators::table
            .select(Self::as_select())
            .order(incubators::id)
            .load(conn)
    }

    /// A page of the public list: hidden incubators (`hidden: true` in the content tree) stay
    /// out of it, as beta.gouv.fr keeps them out of its own; each still answers by its id.
    pub fn page(conn: &mut DbConnection, request: &PageRequest) -> QueryResult<Page<Self>> {
        let public = incubators::hidden.eq(false);
        let total = request.total(|| incubators::table.filter(public).count().get_result(conn))?;
        let query = incubators::table
            .filter(public)
            .select(Self::as_select())
            .into_boxed();
        let rows = keyset_order!(query, incubators::id, request.position())
            .limit(request.limit())
            .load(conn)?;
        Ok(Page::from_rows(request, rows, total, |i| i.id.clone()))
    }

    /// What still points at the incubator: the startups it hosts, and the tokens scoped to it
    /// that are not revoked.
    pub fn references(conn: &mut DbConnection, id: &str) -> QueryResult<IncubatorReferences> {
        let startups = startups::table
            .filter(in_incubator!(id.to_owned()))
            .count()
            .get_result(conn)?;
        let tokens = tokens::table
            .filter(tokens::scope.eq(format!("incubator:{id}")))
            .filter(tokens::revoked_at.is_null())
            .select(tokens::name)
            .order(tokens::name)
            .load(conn)?;
        Ok(IncubatorReferences { startups, tokens })
    }
}

/// What keeps an incubator from being deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncubatorReferences {
    /// How many startups it hosts.
    pub startups: i64,
    /// Names of the unrevoked tokens scoped to it.
    pub tokens: Vec<String>,
}

impl IncubatorReferences {
    pub fn is_empty(&self) -> bool {
        self.startups == 0 && self.tokens.is_empty()
    }
}
