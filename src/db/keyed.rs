//! What the generic writes ask of the store: the rows of one resource, kept under its id.
//!
//! Each resource written through the API implements [`Keyed`] (and [`Rewritable`] when it may
//! be replaced and deleted) once, here in `db`; the write path then needs nothing else of the
//! tables. Every method runs inside the caller's transaction.

use diesel::QueryResult;

use super::DbConnection;

/// The rows of one resource, stored under its id.
pub trait Keyed: Sized {
    /// Whether a resource with this id is stored.
    fn exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool>;

    /// Stores a new resource.
    fn insert(&self, conn: &mut DbConnection) -> QueryResult<()>;
}

/// Rows that may be rewritten in place and deleted.
pub trait Rewritable: Keyed {
    /// Rewrites the stored resource with this one's id.
    fn rewrite(&self, conn: &mut DbConnection) -> QueryResult<()>;

    /// Deletes the resource with this id and what hangs off it; false when there was none.
    /// Foreign keys refuse it while other resources name it.
    fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool>;
}

/// [`Keyed`] and [`Rewritable`] for a type that is one row of `$table`, keyed by its `id`.
macro_rules! one_row_by_id {
    ($row:ty, $table:ident) => {
        impl $crate::db::keyed::Keyed for $row {
            fn exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
                diesel::select(diesel::dsl::exists($table::table.find(id))).get_result(conn)
            }

            fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
                diesel::insert_into($table::table)
                    .values(self)
                    .execute(conn)
                    .map(drop)
            }
        }

        impl $crate::db::keyed::Rewritable for $row {
            fn rewrite(&self, conn: &mut DbConnection) -> QueryResult<()> {
                diesel::update($table::table.find(&self.id))
                    .set(self)
                    .execute(conn)
                    .map(drop)
            }

            fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
                diesel::delete($table::table.find(id))
                    .execute(conn)
                    .map(|rows| rows > 0)
            }
        }
    };
}

pub(crate) use one_row_by_id;
