//! The data revision: a counter and a time, bumped by every write that changes the published
//! data, in the same transaction. Conditional requests compare against it.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::data_revision;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = data_revision)]
pub struct Revision {
    pub revision: i64,
    /// When the data last changed (UTC).
    pub changed_at: NaiveDateTime,
}

impl Revision {
    pub fn current(conn: &mut DbConnection) -> QueryResult<Self> {
        data_revision::table
            .find(1)
            .select(Self::as_select())
            .first(conn)
    }

    /// Takes the lock every writer takes first ([`crate::db::changes::write_transaction`])
    /// without changing the revision: the caller's transaction then writes after the writers
    /// before it have committed, and before those after it. The caller holds the transaction.
    pub fn lock(conn: &mut DbConnection) -> QueryResult<()> {
        diesel::update(data_revision::table.find(1))
            .set(data_revision::revision.eq(data_revision::revision))
            .execute(conn)
            .map(drop)
    }

    /// Records that the data changed now; the caller holds the writing transaction.
    pub fn bump(conn: &mut DbConnection) -> QueryResult<Self> {
        diesel::update(data_revision::table.find(1))
            .set((
                data_revision::revision.eq(data_revision::revision + 1),
                data_revision::changed_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        Self::current(conn)
    }
}
