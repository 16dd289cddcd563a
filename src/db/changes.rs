//! Queries on `changes`, the audit log that is also the change feed, and on
//! `idempotency_keys`, the answers kept for replayed POSTs.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::DbConnection;
use super::page::{ForeignCursor, Page, PageRequest, keyset_order};
use super::revision::Revision;
use super::schema::{changes, idempotency_keys};

/// What a write did to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// Who wrote a change, as the feed shows it: by role, never by the token's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// The command line (`betadata import`, the seed).
    Import,
    /// An admin token.
    Admin,
    /// A token of one incubator.
    Incubator,
}

impl Author {
    pub const ALL: [&'static str; 3] = ["import", "admin", "incubator"];

    pub fn as_str(self) -> &'static str {
        match self {
            Author::Import => "import",
            Author::Admin => "admin",
            Author::Incubator => "incubator",
        }
    }
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = changes)]
pub struct Change {
    pub seq: i64,
    pub at: NaiveDateTime,
    /// Name of the token that wrote, or of the command (`import`).
    pub token: String,
    pub resource: String,
    pub resource_id: String,
    pub action: String,
    /// The resource's new JSON document; `None` for a deletion.
    pub state: Option<String>,
    /// `import`, `admin` or `incubator` ([`Author`]).
    pub author: String,
}

/// A change about to be recorded; the database numbers it.
#[derive(Insertable)]
#[diesel(table_name = changes)]
pub struct NewChange<'a> {
    pub at: NaiveDateTime,
    pub token: &'a str,
    pub resource: &'a str,
    pub resource_id: &'a str,
    pub action: &'a str,
    pub state: Option<String>,
    pub author: &'a str,
}

/// The fields of an item's representation that the feed leaves out of a change's `state`:
/// they sum up, or depend on the day, rather than belong to the resource, and change with
/// no write to it. A mirror of the feed computes them (see the README's "Change feed").
pub const NOT_IN_FEED: [(&str, &[&str]); 3] = [
    ("startup", &["current_phase"]),
    ("incubator", &["startups_by_phase"]),
    ("organisation", &["incubators", "sponsored_startups"]),
];

/// `state` as the feed records it for `resource`: without the fields of [`NOT_IN_FEED`].
pub fn as_in_feed(resource: &str, state: &Value) -> Value {
    let mut state = state.clone();
    if let (Value::Object(fields), Some((_, left_out))) =
        (&mut state, NOT_IN_FEED.iter().find(|(r, _)| *r == resource))
    {
        for field in *left_out {
            fields.shift_remove(*field);
        }
    }
    state
}

fn feed_state(resource: &str, state: &Value) -> String {
    as_in_feed(resource, state).to_string()
}

/// Runs `work` as one write transaction: it first bumps the data revision, so that on SQLite
/// the transaction takes the write lock at its first statement (waiting for it rather than
/// failing to upgrade a read lock), and on PostgreSQL it holds the revision's row lock until it
/// commits — writes take their change numbers in the order they commit, and a reader of the
/// feed never sees a later number before an earlier one.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        Revision::bump(conn)?;
        work(conn)
    })
}

impl Change {
    /// Records a change inside a [`write_transaction`]; returns its number.
    pub fn record(
        conn: &mut DbConnection,
        (token, author): (&str, Author),
        resource: &str,
        resource_id: &str,
        action: Action,
        state: Option<&Value>,
    ) -> QueryResult<i64> {
        diesel::insert_into(changes::table)
            .values(NewChange {
                at: Utc::now().naive_utc(),
                token,
                resource,
                resource_id,
                action: action.as_str(),
                state: state.map(|state| feed_state(resource, state)),
                author: author.as_str(),
            })
            .returning(changes::seq)
            .get_result(conn)
    }

    /// Records, inside a [`write_transaction`], the same action by `token` on many items of
    /// one resource, numbered in the order given: `(id, state)` pairs, as [`Change::record`]
    /// takes them one by one.
    pub fn record_many(
        conn: &mut DbConnection,
        (token, author): (&str, Author),
        resource: &str,
        action: Action,
        items: &[(String, Option<Value>)],
    ) -> QueryResult<usize> {
        let at = Utc::now().naive_utc();
        let rows: Vec<NewChange> = items
            .iter()
            .map(|(id, state)| NewChange {
                at,
                token,
                resource,
                resource_id: id,
                action: action.as_str(),
                state: state.as_ref().map(|state| feed_state(resource, state)),
                author: author.as_str(),
            })
            .collect();
        super::bulk::insert_changes(conn, &rows)
    }

    /// A page of the changes numbered after `since`, in order, optionally of one resource.
    pub fn page(
        conn: &mut DbConnection,
        filter: &ChangeFilter,
        request: &PageRequest,
    ) -> QueryResult<Page<Self>> {
        let filtered = || {
            let mut query = changes::table
                .filter(changes::seq.gt(filter.since))
                .into_boxed();
            if let Some((resource, id)) = &filter.resource {
                query = query
                    .filter(changes::resource.eq(resource.clone()))
                    .filter(changes::resource_id.eq(id.clone()));
            }
            query
        };
        let total = request.total(|| filtered().count().get_result(conn))?;
        let position = match request.position() {
            None => None,
            Some((direction, key)) => {
                Some((direction, key.parse::<i64>().map_err(|_| ForeignCursor)?))
            }
        };
        let query = filtered().select(Self::as_select());
        let rows = keyset_order!(query, changes::seq, position)
            .limit(request.limit())
            .load(conn)?;
        Ok(Page::from_rows(request, rows, total, |c| c.seq.to_string()))
    }

    /// Whether any change was recorded for this resource.
    pub fn any_of(conn: &mut DbConnection, resource: &str, resource_id: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            changes::table
                .filter(changes::resource.eq(resource))
                .filter(changes::resource_id.eq(resource_id)),
        ))
        .get_result(conn)
    }

    /// The number of the latest change; 0 when there is none.
    pub fn latest(conn: &mut DbConnection) -> QueryResult<i64> {
        changes::table
            .select(diesel::dsl::max(changes::seq))
            .first::<Option<i64>>(conn)
            .map(Option::unwrap_or_default)
    }
}

/// Which changes a feed holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    /// Only those numbered after this.
    pub since: i64,
    /// Only those of this resource: its kind and id.
    pub resource: Option<(String, String)>,
}

/// The answer given to a POST sent with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct KeptAnswer {
    pub token: String,
    pub key: String,
    /// Hash of the method, path and body the key was first sent with.
    pub request_hash: String,
    pub status: i32,
    pub location: Option<String>,
    pub body: String,
    pub created_at: NaiveDateTime,
}

impl KeptAnswer {
    pub fn find(conn: &mut DbConnection, token: &str, key: &str) -> QueryResult<Option<Self>> {
        idempotency_keys::table
            .find((token, key))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// Keeps the answer, inside the write's transaction; a concurrent request with the same key
    /// makes this fail on the primary key, and that request's transaction roll back.
    pub fn keep(&self, conn: &mut DbConnection) -> QueryResult<()> {
        diesel::insert_into(idempotency_keys::table)
            .values(self)
            .execute(conn)
            .map(drop)
    }
}
