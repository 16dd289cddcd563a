//! Queries on `tokens`, the bearer tokens of the write API. The hash is written once, by
//! [`issue`], and read only by [`Token::find_by_hash`]; no other query selects it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::DbConnection;
use super::incubators::Incubator;
use super::keyed::Keyed;
use super::schema::tokens;
use crate::domain::tokens::{self as domain, PastExpiry, Scope};

/// How long a recorded `last_used_at` is left as it is: marking every request would make each
/// write a second write, so a token's last use is recorded at most once a minute.
pub const LAST_USED_PRECISION: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// A token as listed: everything but its hash.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct Token {
    pub id: i64,
    pub name: String,
    /// `admin` or `incubator:ID`, as [`Scope`] prints it.
    pub scope: String,
    pub created_at: NaiveDateTime,
    /// The last day the token is valid on (UTC).
    pub expires_on: Option<NaiveDate>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tokens)]
struct NewToken<'a> {
    name: &'a str,
    scope: &'a str,
    hash: &'a str,
    created_at: NaiveDateTime,
    expires_on: Option<NaiveDate>,
}

/// What `token revoke` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    AlreadyRevoked(NaiveDateTime),
    NoSuchToken,
}

impl Token {
    /// Every token, revoked ones included, by name.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Self>> {
        tokens::table
            .select(Self::as_select())
            .order(tokens::name)
            .load(conn)
    }

    pub fn find_by_name(conn: &mut DbConnection, name: &str) -> QueryResult<Option<Self>> {
        tokens::table
            .filter(tokens::name.eq(name))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The token, revoked or expired or not, whose hash is `hash`, through the unique index on
    /// `hash`; the caller decides with [`domain::validity`] whether it may be used.
    ///
    /// The stored hash is compared again in constant time: the database is only trusted to find
    /// the row, not to be the last word on equality (a case-insensitive collation would do).
    pub fn find_by_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Self>> {
        let found: Option<(Self, String)> = tokens::table
            .filter(tokens::hash.eq(hash))
            .select((Self::as_select(), tokens::hash))
            .first(conn)
            .optional()?;
        Ok(found.and_then(|(token, stored)| domain::hashes_match(&stored, hash).then_some(token)))
    }

    /// The scope, as stored by [`issue`].
    pub fn scope(&self) -> Result<Scope, domain::ScopeError> {
        self.scope.parse()
    }

    /// Whether a use at `now` should be recorded: not within [`LAST_USED_PRECISION`] of the
    /// last recorded one.
    pub fn use_is_stale(&self, now: NaiveDateTime) -> bool {
        self.last_used_at
            .is_none_or(|last| now - last >= LAST_USED_PRECISION)
    }

    /// Records a use at `now`, unless one was recorded less than a minute before (by this
    /// process or another); returns whether the row was written.
    pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
        let cutoff = now - LAST_USED_PRECISION;
        diesel::update(
            tokens::table.find(id).filter(
                tokens::last_used_at
                    .is_null()
                    .or(tokens::last_used_at.le(cutoff)),
            ),
        )
        .set(tokens::last_used_at.eq(now))
        .execute(conn)
        .map(|rows| rows == 1)
    }

    /// Revokes the token named `name` at `now`; it stays listed, and its name taken.
    pub fn revoke(
        conn: &mut DbConnection,
        name: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Revocation> {
        conn.transaction(|conn| match Self::find_by_name(conn, name)? {
            None => Ok(Revocation::NoSuchToken),
            Some(Self {
                revoked_at: Some(at),
                ..
            }) => Ok(Revocation::AlreadyRevoked(at)),
            Some(token) => {
                diesel::update(tokens::table.find(token.id))
                    .set(tokens::revoked_at.eq(now))
                    .execute(conn)?;
                Ok(Revocation::Revoked)
            }
        })
    }
}

/// What a new token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub scope: Scope,
    /// The last day it is valid on; none: it does not expire.
    pub expires_on: Option<NaiveDate>,
}

/// Why a token was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(
        "no incubator `{0}` is stored: an `incubator:ID` scope names an existing incubator \
         (they are listed at /api/v1/incubators)"
    )]
    UnknownIncubator(String),
    #[error("a token named `{0}` already exists (revoked tokens keep their names); choose another")]
    DuplicateName(String),
    #[error(transparent)]
    PastExpiry(#[from] PastExpiry),
    #[error("cannot draw random bytes from the operating system: {0}")]
    Random(getrandom::Error),
    #[error("database error: {0}")]
    Database(#[from] DieselError),
}

/// Draws a new token for `request`, stores its hash and returns the token itself, which
/// nothing keeps: the caller shows it once. `now` is the creation time (UTC).
pub fn issue(
    conn: &mut DbConnection,
    request: &TokenRequest,
    now: NaiveDateTime,
) -> Result<String, IssueError> {
    if let Some(expires_on) = request.expires_on {
        domain::check_expiry(expires_on, now.date())?;
    }
    let token = domain::generate().map_err(IssueError::Random)?;
    let scope = request.scope.to_string();
    let inserted = conn.transaction(|conn| {
        if let Scope::Incubator(id) = &request.scope
            && !Incubator::exists(conn, id)?
        {
            return Err(IssueError::UnknownIncubator(id.clone()));
        }
        if Token::find_by_name(conn, &request.name)?.is_some() {
            return Err(IssueError::DuplicateName(request.name.clone()));
        }
        diesel::insert_into(tokens::table)
            .values(NewToken {
                name: &request.name,
                scope: &scope,
                hash: &domain::hash(&token),
                created_at: now,
                expires_on: request.expires_on,
            })
            .execute(conn)?;
        Ok(())
    });
    match inserted {
        // Another process took the name between the check and the insert.
        Err(IssueError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Err(IssueError::DuplicateName(request.name.clone())),
        Err(other) => Err(other),
        Ok(()) => Ok(token),
    }
}
