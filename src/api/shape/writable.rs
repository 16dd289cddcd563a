//! The one shape of the writes of a resource written through its document (startups,
//! incubators, organisations, metrics): a [`Writable`] (and, when it may be replaced, patched
//! and deleted, a [`Changeable`]) says what is particular to the resource (its rows, its
//! representation, its rules, who may write it and what a deletion must take care of), and
//! [`create`], [`replace`], [`update`] and [`delete`] do the rest the same way for every one of
//! them: 404, 403, 409, 412, 422, `Location`, the no-op write, the idempotent replay (through
//! [`write`](fn@crate::api::shape::write::write)) and the change records.
//!
//! Each handler keeps only its route and its utoipa attributes, and calls one of these.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::http::auth::Caller;
use crate::api::http::body::JsonBody;
use crate::api::http::error::{ApiError, BodyError};
use crate::api::http::state::AppState;
use crate::api::shape::write::{
    WriteRequest, Written, id_to_create, patched, path_segment, record_shown_in, refuse_lookalike,
    same_id, says_the_same, write,
};
use crate::db::changes::Action;
use crate::db::sources_kept;
use crate::db::{DbConnection, Keyed, Rewritable};
use crate::domain::source::RecordKind;

/// A resource written through its document (`Self`, the body of `POST`): its rows, its
/// representation, its rules and who may write it. [`create`] (or [`create_under`]) then makes
/// one; a resource that may also be changed and deleted is [`Changeable`].
pub trait Writable: DeserializeOwned + Send + 'static {
    /// The stored rows of one resource.
    type Row: Keyed;
    /// The resource as its item route shows it, and the change feed records it.
    type View: Serialize;

    /// Its name in errors and in the change feed: `startup`, `incubator`…
    const RESOURCE: &'static str;
    /// The path of its collection, under which each item is `/{id}`.
    const COLLECTION: &'static str;
    /// Its kind among the records imported from content files, whose ids may not differ only
    /// by case or Unicode form; `None` for a resource no content file holds.
    const KIND: Option<RecordKind>;
    /// The methods that change an existing one, for the 409 of a creation; `None` when none
    /// does.
    const CHANGE_WITH: Option<&'static str>;
    /// Only an admin token writes it: checked before anything else.
    const ADMIN_ONLY: bool;

    /// The id the document names, if it names one.
    fn id(&self) -> Option<&String>;

    /// The rows to store as resource `id`.
    fn row(&self, id: &str) -> Self::Row;

    /// Every rule the document breaks that needs no database, each with its place; `stored`
    /// is the document kept before this write, for rules that hold for new data only.
    fn faults(&self, stored: Option<&Self>) -> Vec<BodyError>;

    /// The rules that need the database: what the document names exists.
    fn reference_faults(&self, _conn: &mut DbConnection) -> Result<Vec<BodyError>, ApiError> {
        Ok(Vec::new())
    }

    /// Whether `caller` may write the resource `document` describes, as it is stored and as
    /// it would become: 403 out of the token's scope (404 when what would decide is missing).
    fn may_write(conn: &mut DbConnection, caller: &Caller, document: &Self)
    -> Result<(), ApiError>;

    /// The stored rows of resource `id` and its representation on `day`, `None` when there is
    /// no such resource.
    fn read(
        conn: &mut DbConnection,
        id: &str,
        day: NaiveDate,
    ) -> Result<Option<Stored<Self>>, ApiError>;

    /// The startups whose representation shows the new resource `row`: each is recorded as
    /// changed too.
    fn shown_in_new(_conn: &mut DbConnection, _row: &Self::Row) -> Result<Vec<String>, ApiError> {
        Ok(Vec::new())
    }
}

/// A resource that lives under another, named by the path it is created at: a metric under
/// its startup.
pub trait Nested: Writable {
    /// Places the document under `parent`, the id of the path.
    fn place_under(&mut self, parent: String);
}

/// A resource written whole through its document, which may also be replaced, patched and
/// deleted: [`replace`], [`update`], [`delete`].
pub trait Changeable: Writable<Row: Rewritable> + Serialize + Clone {
    /// The writable part of stored rows, the base a `PATCH` applies to.
    fn of(row: &Self::Row) -> Self;

    /// Before resource `id` is deleted: says why it may not be (a 409 naming what still
    /// refers to it), or deletes and records what goes with it.
    fn before_delete(
        _conn: &mut DbConnection,
        _request: &WriteRequest,
        _id: &str,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    /// The fields of beta.gouv.fr's content files that a change from `before` to `after`
    /// touches, and whether it touches the Markdown body: the import's kept sources forget
    /// them (see [`sources_kept::forget`]).
    fn changed(before: &Self::Row, after: &Self::Row) -> (Vec<String>, bool);

    /// The startups whose representation shows something this change from `before` to
    /// `after` touched (a title, a name): each is recorded as changed too.
    fn shown_in(
        _conn: &mut DbConnection,
        _before: &Self::Row,
        _after: &Self::Row,
    ) -> Result<Vec<String>, ApiError> {
        Ok(Vec::new())
    }
}

/// A resource as stored: its rows, and its representation.
pub type Stored<R> = (<R as Writable>::Row, <R as Writable>::View);

fn not_found<R: Writable>(id: &str) -> ApiError {
    ApiError::NotFound {
        resource: R::RESOURCE,
        id: id.to_owned(),
    }
}

/// Refuses anyone but an admin, for a resource only admins write.
fn check_admin<R: Writable>(caller: &Caller) -> Result<(), ApiError> {
    match R::ADMIN_ONLY {
        true => caller.must_be_admin(),
        false => Ok(()),
    }
}

/// The resource as its item route shows it now.
fn view<R: Writable>(
    conn: &mut DbConnection,
    id: &str,
    day: NaiveDate,
) -> Result<R::View, ApiError> {
    R::read(conn, id, day)?
        .map(|(_, view)| view)
        .ok_or_else(|| not_found::<R>(id))
}

/// Reads the stored resource for a change: 404 when absent, 403 out of the token's scope, 412
/// when `If-Match` names another version. Returns its writable document.
pub fn current<R: Changeable>(
    conn: &mut DbConnection,
    request: &WriteRequest,
    id: &str,
) -> Result<R, ApiError> {
    let (row, view) = R::read(conn, id, request.today)?.ok_or_else(|| not_found::<R>(id))?;
    let stored = R::of(&row);
    R::may_write(conn, &request.caller, &stored)?;
    request.check_version(&view)?;
    Ok(stored)
}

/// Checks `input` whole (422 with every fault), then that it stays within the caller's scope
/// (403); `stored` is the document it replaces.
fn check<R: Writable>(
    conn: &mut DbConnection,
    request: &WriteRequest,
    input: &R,
    stored: Option<&R>,
) -> Result<(), ApiError> {
    let mut faults = input.faults(stored);
    faults.extend(input.reference_faults(conn)?);
    if !faults.is_empty() {
        return Err(ApiError::Invalid(faults));
    }
    R::may_write(conn, &request.caller, input)
}

/// Records the change of resource `id` as it now is, and of the startups `shown` that show
/// it; answers it with `status`.
fn settle<R: Writable>(
    conn: &mut DbConnection,
    request: &WriteRequest,
    id: &str,
    action: Action,
    shown: &[String],
) -> Result<Written, ApiError> {
    let resource = view::<R>(conn, id, request.today)?;
    request.record(conn, R::RESOURCE, id, action, Some(&resource))?;
    record_shown_in(conn, request, shown)?;
    let status = match action {
        Action::Create => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Written::json(status, &resource)
}

/// Stores the new resource `input` as `id`, checked whole, and records it.
fn store_new<R: Writable>(
    conn: &mut DbConnection,
    request: &WriteRequest,
    id: &str,
    input: &R,
) -> Result<Written, ApiError> {
    check(conn, request, input, None)?;
    let row = input.row(id);
    row.insert(conn)?;
    let shown = R::shown_in_new(conn, &row)?;
    settle::<R>(conn, request, id, Action::Create, &shown)
}

/// Stores `input` as resource `id` in place of the document `stored`, and records the change;
/// answers the resource as it became. A document that says what is stored writes nothing.
pub fn store<R: Changeable>(
    conn: &mut DbConnection,
    request: &WriteRequest,
    id: &str,
    input: &R,
    stored: &R,
) -> Result<Written, ApiError> {
    if says_the_same(input, stored)? {
        return Written::unchanged(&view::<R>(conn, id, request.today)?);
    }
    check(conn, request, input, Some(stored))?;
    let (before, row) = (stored.row(id), input.row(id));
    row.rewrite(conn)?;
    if let Some(kind) = R::KIND {
        let (changed, content) = R::changed(&before, &row);
        sources_kept::forget(conn, kind, id, &changed, content)?;
    }
    let shown = R::shown_in(conn, &before, &row)?;
    settle::<R>(conn, request, id, Action::Update, &shown)
}

/// `POST` to the collection: creates the resource the body names (201 and its `Location`),
/// 409 when its id, or one differing only by case or Unicode form, is taken.
pub async fn create<R: Writable>(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<R>,
) -> Result<HttpResponse, ApiError> {
    check_admin::<R>(&caller)?;
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let input = body.value;
    let id = id_to_create(input.id(), R::RESOURCE)?;
    write(&state, request, move |conn, request| {
        if R::Row::exists(conn, &id)? {
            let change = match R::CHANGE_WITH {
                Some(methods) => format!("; change it with {methods} {}/{id}", R::COLLECTION),
                None => " already".to_owned(),
            };
            return Err(ApiError::Conflict(format!(
                "{} `{id}` exists{change}",
                R::RESOURCE
            )));
        }
        if let Some(kind) = R::KIND {
            refuse_lookalike(conn, kind, &id)?;
        }
        Ok(store_new(conn, request, &id, &input)?.created_at(format!(
            "{}/{}",
            R::COLLECTION,
            path_segment(&id)
        )))
    })
    .await
}

/// `POST` to a collection under another resource (`/startups/{id}/metrics`): [`create`],
/// the document placed under the resource of the path.
pub async fn create_under<R: Nested>(
    req: HttpRequest,
    state: web::Data<AppState>,
    parent: web::Path<String>,
    caller: Caller,
    mut body: JsonBody<R>,
) -> Result<HttpResponse, ApiError> {
    body.value.place_under(parent.into_inner());
    create(req, state, caller, body).await
}

/// `PUT` to an item: replaces the resource with the body, whole.
pub async fn replace<R: Changeable>(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    caller: Caller,
    body: JsonBody<R>,
) -> Result<HttpResponse, ApiError> {
    check_admin::<R>(&caller)?;
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let (id, input) = (id.into_inner(), body.value);
    same_id(input.id(), &id, R::RESOURCE)?;
    write(&state, request, move |conn, request| {
        let stored = current::<R>(conn, request, &id)?;
        store(conn, request, &id, &input, &stored)
    })
    .await
}

/// `PATCH` to an item: a JSON Merge Patch (RFC 7396) of the resource's writable document.
pub async fn update<R: Changeable>(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    caller: Caller,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    check_admin::<R>(&caller)?;
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let (id, patch) = (id.into_inner(), body.value);
    write(&state, request, move |conn, request| {
        let stored = current::<R>(conn, request, &id)?;
        let input: R = patched(&stored, &patch)?;
        same_id(input.id(), &id, R::RESOURCE)?;
        store(conn, request, &id, &input, &stored)
    })
    .await
}

/// `DELETE` of an item: 204, or 409 saying what still refers to it.
pub async fn delete<R: Changeable>(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    check_admin::<R>(&caller)?;
    let request = WriteRequest::new(&req, caller, &[])?;
    let id = id.into_inner();
    write(&state, request, move |conn, request| {
        current::<R>(conn, request, &id)?;
        R::before_delete(conn, request, &id)?;
        if !R::Row::delete(conn, &id)? {
            return Err(not_found::<R>(&id));
        }
        request.record::<()>(conn, R::RESOURCE, &id, Action::Delete, None)?;
        Ok(Written::no_content())
    })
    .await
}

/// The faults of a document, collected one way: each check gives its outcome, and a failed one
/// is kept with the place it points at.
#[derive(Debug, Default)]
pub struct Faults(Vec<BodyError>);

impl Faults {
    /// Keeps `outcome`'s detail, at `pointer`, when it is a fault.
    pub fn check(&mut self, pointer: impl Into<String>, outcome: Result<(), String>) {
        if let Err(detail) = outcome {
            self.0.push(BodyError::new(pointer.into(), detail));
        }
    }

    /// Checks `value` with `rule` when it is there.
    pub fn check_some<T: ?Sized>(
        &mut self,
        pointer: impl Into<String>,
        value: Option<&T>,
        rule: impl FnOnce(&T) -> Result<(), String>,
    ) {
        if let Some(value) = value {
            self.check(pointer, rule(value));
        }
    }

    pub fn into_vec(self) -> Vec<BodyError> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_keep_only_the_failed_checks_in_order() {
        let mut faults = Faults::default();
        faults.check("/a", Ok(()));
        faults.check("/b", Err("bad b".into()));
        faults.check_some("/c", None::<&str>, |_| Err("never".into()));
        faults.check_some("/d", Some("x"), |x| Err(format!("bad {x}")));
        let found: Vec<(String, String)> = faults
            .into_vec()
            .into_iter()
            .map(|f| (f.pointer, f.detail))
            .collect();
        assert_eq!(
            found,
            [("/b".into(), "bad b".into()), ("/d".into(), "bad x".into())]
        );
    }
}
