//! What every write shares: one transaction that bumps the data revision, records each change
//! in the feed and keeps the answer of a POST sent with an `Idempotency-Key`; `If-Match`
//! compared with the current representation; the answer with its `ETag` and `Location`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::result::Error as DieselError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::http::auth::{Caller, Scope};
use crate::api::http::body::parse;
use crate::api::http::caching::{entity_tag, if_match};
use crate::api::http::error::{ApiError, BodyError, Problem};
use crate::api::http::state::AppState;
use crate::db::DbConnection;
use crate::db::changes::{Action, Author, Change, KeptAnswer, write_transaction};
use crate::representation::startup::StartupRecord;

/// The problems any write may answer, for the contract of every write route.
#[derive(utoipa::IntoResponses)]
pub enum WriteProblems {
    /// The body is not JSON.
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// No valid token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// Out of the token's scope.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The resource does not exist.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The body did not arrive within the time limit (10 seconds by default).
    #[response(status = 408, content_type = "application/problem+json")]
    TooSlow(Problem),
    /// The body is larger than 1 MiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
    /// The body breaks a rule; `errors` points at each fault.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// Too many writes with this token: retry after `Retry-After` seconds.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(Problem),
    /// The database is unreachable, or another write held it past the wait allowed; nothing
    /// was written: retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// The longest `Idempotency-Key` accepted.
const MAX_KEY: usize = 255;

/// What a write answers: a status, the resource as it became (or nothing, for a deletion) and,
/// for a creation, where it lives.
#[derive(Debug)]
pub struct Written {
    pub status: StatusCode,
    pub body: Option<Vec<u8>>,
    pub location: Option<String>,
    /// Nothing was changed: the transaction is rolled back and `body` is the resource as it
    /// stands.
    unchanged: bool,
}

impl Written {
    /// The resource `value`, as it is now, answered with `status`.
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ApiError::Internal(format!("serialising an answer: {e}")))?;
        Ok(Self {
            status,
            body: Some(body),
            location: None,
            unchanged: false,
        })
    }

    /// The resource `value`, which the write left as it was: a 200, and nothing written.
    pub fn unchanged<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        Ok(Self {
            unchanged: true,
            ..Self::json(StatusCode::OK, value)?
        })
    }

    pub fn with_status(self, status: StatusCode) -> Self {
        Self { status, ..self }
    }

    pub fn created_at(mut self, location: String) -> Self {
        self.location = Some(location);
        self
    }

    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            location: None,
            unchanged: false,
        }
    }

    /// The answer; `Location`, a path of the API, gets the path the API is published under
    /// (`--public-url`) before it.
    fn respond(self, path_prefix: &str) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(location) = &self.location {
            response.insert_header((header::LOCATION, format!("{path_prefix}{location}")));
        }
        match self.body {
            Some(body) => response
                .insert_header((header::ETAG, entity_tag(&body)))
                .content_type("application/json")
                .body(body),
            None => response.finish(),
        }
    }
}

/// What a write is asked with, besides its body: who, `If-Match`, `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    pub caller: Caller,
    /// Today, as the application's clock says: the day the answer shows the resource on.
    pub today: chrono::NaiveDate,
    if_match: Option<String>,
    idempotency: Option<(String, String)>,
    /// The path the API is published under, without its trailing slash: empty at the root.
    path_prefix: String,
}

impl WriteRequest {
    /// Reads the write's headers; `body` is the request body, which an `Idempotency-Key` is
    /// bound to together with the method and path.
    pub fn new(req: &HttpRequest, caller: Caller, body: &[u8]) -> Result<Self, ApiError> {
        let text = |name| {
            req.headers()
                .get(name)
                .map(|v: &header::HeaderValue| v.to_str().map(str::to_owned))
        };
        let if_match = text(header::IF_MATCH)
            .transpose()
            .map_err(|_| invalid_header("If-Match", "is not ASCII text"))?;
        let key = text(header::HeaderName::from_static("idempotency-key"))
            .transpose()
            .map_err(|_| invalid_header("Idempotency-Key", "is not ASCII text"))?;
        let idempotency = match key {
            None => None,
            Some(key) if key.is_empty() || key.len() > MAX_KEY => {
                return Err(invalid_header(
                    "Idempotency-Key",
                    &format!("must be 1 to {MAX_KEY} characters"),
                ));
            }
            Some(key) => {
                let mut request = format!("{} {}\n", req.method(), req.path()).into_bytes();
                request.extend_from_slice(body);
                Some((key, entity_tag(&request)))
            }
        };
        let today = req
            .app_data::<web::Data<AppState>>()
            .map_or_else(crate::api::http::state::today, |state| state.today());
        let base = crate::api::http::public_url::base(req);
        let path_prefix = url::Url::parse(&base)
            .map(|url| url.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        Ok(Self {
            caller,
            today,
            if_match,
            idempotency,
            path_prefix,
        })
    }

    /// Checks `If-Match`, when sent, against the current representation of the resource:
    /// the JSON its item route answers.
    pub fn check_version<T: Serialize>(&self, current: &T) -> Result<(), ApiError> {
        let Some(expected) = &self.if_match else {
            return Ok(());
        };
        let bytes = serde_json::to_vec(current)
            .map_err(|e| ApiError::Internal(format!("serialising a resource: {e}")))?;
        if if_match(expected, &entity_tag(&bytes)) {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed)
        }
    }

    /// Records a change made by this request; `state` is the resource as it became.
    pub fn record<T: Serialize>(
        &self,
        conn: &mut DbConnection,
        resource: &str,
        id: &str,
        action: Action,
        state: Option<&T>,
    ) -> Result<i64, ApiError> {
        let state = state
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| ApiError::Internal(format!("serialising a change: {e}")))?;
        let author = match self.caller.scope {
            Scope::Admin => Author::Admin,
            Scope::Incubator(_) => Author::Incubator,
        };
        Ok(Change::record(
            conn,
            (&self.caller.token_name, author),
            resource,
            id,
            action,
            state.as_ref(),
        )?)
    }
}

fn invalid_header(name: &str, detail: &str) -> ApiError {
    ApiError::Invalid(vec![BodyError::new(
        format!("header:{name}"),
        format!("{name} {detail}"),
    )])
}

/// Runs `work` as one write transaction and answers what it wrote. A POST whose
/// `Idempotency-Key` this token already sent is answered as the first time, without writing
/// again (the same key with another request is a 422). A write that leaves the resource as it
/// was ([`Written::unchanged`]) is rolled back: no new revision, no change in the feed.
pub async fn write<F>(
    state: &AppState,
    request: WriteRequest,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(&mut DbConnection, &WriteRequest) -> Result<Written, ApiError> + Send + 'static,
{
    let path_prefix = request.path_prefix.clone();
    let written = state
        .write(move |conn| {
            // Answered at once when kept, without taking the write lock.
            if let Some(kept) = replay(conn, &request)? {
                return Ok(kept);
            }
            // Looked for again once the transaction holds the revision's lock, which every
            // write takes first: a request with the same key that committed meanwhile is
            // seen then, before this one's work finds what that one wrote (a 409 "exists").
            let outcome = write_transaction(conn, |conn| {
                if let Some(kept) = replay(conn, &request)? {
                    return Err(Settled::Kept(kept));
                }
                let written = work(conn, &request)?;
                if written.unchanged {
                    return Err(Settled::Kept(written));
                }
                keep(conn, &request, &written)?;
                crate::api::v1::refresh_export_lines(conn)?;
                Ok(written)
            });
            match outcome {
                Ok(written) | Err(Settled::Kept(written)) => Ok(written),
                Err(Settled::Failed(error)) => Err(error),
            }
        })
        .await?;
    Ok(written.respond(&path_prefix))
}

/// Why a write transaction was rolled back: it failed, or it found its answer without
/// writing (a replay, or nothing to change).
enum Settled {
    Failed(ApiError),
    Kept(Written),
}

impl From<ApiError> for Settled {
    fn from(error: ApiError) -> Self {
        Self::Failed(error)
    }
}

impl From<DieselError> for Settled {
    fn from(error: DieselError) -> Self {
        Self::Failed(error.into())
    }
}

/// The answer kept for this request's idempotency key, if it was sent before.
fn replay(conn: &mut DbConnection, request: &WriteRequest) -> Result<Option<Written>, ApiError> {
    let Some((key, hash)) = &request.idempotency else {
        return Ok(None);
    };
    let Some(kept) = KeptAnswer::find(conn, &request.caller.token_name, key)? else {
        return Ok(None);
    };
    if &kept.request_hash != hash {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let status = u16::try_from(kept.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| ApiError::Internal(format!("kept status {}", kept.status)))?;
    Ok(Some(Written {
        status,
        body: (!kept.body.is_empty()).then(|| kept.body.into_bytes()),
        location: kept.location,
        unchanged: false,
    }))
}

fn keep(
    conn: &mut DbConnection,
    request: &WriteRequest,
    written: &Written,
) -> Result<(), ApiError> {
    let Some((key, hash)) = &request.idempotency else {
        return Ok(());
    };
    let body = match &written.body {
        Some(bytes) => String::from_utf8(bytes.clone())
            .map_err(|e| ApiError::Internal(format!("an answer is not UTF-8: {e}")))?,
        None => String::new(),
    };
    KeptAnswer {
        token: request.caller.token_name.clone(),
        key: key.clone(),
        request_hash: hash.clone(),
        status: i32::from(written.status.as_u16()),
        location: written.location.clone(),
        body,
        created_at: Utc::now().naive_utc(),
    }
    .keep(conn)?;
    Ok(())
}

/// Records an update of each startup of `ids`, as it is now, for a write to something it
/// shows (its incubator's title, a sponsor's name, a metric): the feed then keeps a mirror of
/// the startups equal to the API.
pub fn record_shown_in(
    conn: &mut DbConnection,
    request: &WriteRequest,
    ids: &[String],
) -> Result<(), ApiError> {
    let mut records: std::collections::HashMap<String, StartupRecord> =
        StartupRecord::read_many(conn, ids)?
            .into_iter()
            .map(|r| (r.id().to_owned(), r))
            .collect();
    for id in ids {
        let record = records.remove(id).ok_or_else(|| ApiError::NotFound {
            resource: "startup",
            id: id.clone(),
        })?;
        let startup = record.response(request.today);
        request.record(conn, "startup", id, Action::Update, Some(&startup))?;
    }
    Ok(())
}

/// The id a creation body gives (`/id`), required, in NFC as ids are stored
/// ([`crate::domain::ids::check_id`]); one that is not an id is passed on as it is, for the
/// body's checks to report.
pub fn id_to_create(id: Option<&String>, resource: &str) -> Result<String, ApiError> {
    id.map(|id| crate::domain::ids::check_id(id).unwrap_or_else(|_| id.clone()))
        .ok_or_else(|| {
            ApiError::Invalid(vec![BodyError::new(
                "/id",
                format!("an id is required to create a new {resource}"),
            )])
        })
}

/// `id` as one segment of a URL path: everything but RFC 3986's unreserved characters
/// percent-encoded.
pub fn path_segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, PATH_SEGMENT).to_string()
}

/// Everything but the unreserved characters of RFC 3986 (letters, digits, `-._~`).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A 409 when another record of `kind` has an id equal to `id` but for case or Unicode form
/// ([`crate::domain::ids::id_key`]): two such ids cannot both exist.
pub fn refuse_lookalike(
    conn: &mut crate::db::DbConnection,
    kind: crate::domain::source::RecordKind,
    id: &str,
) -> Result<(), ApiError> {
    match crate::db::lookalike_id(conn, kind, id)? {
        Some(other) => Err(ApiError::Conflict(format!(
            "`{id}` names the same {} as the existing `{other}`: ids may not differ only by \
             case or Unicode form",
            kind.resource()
        ))),
        None => Ok(()),
    }
}

/// Checks that a body naming an id (`/id`) names the one of the path: ids never change.
pub fn same_id(given: Option<&String>, path: &str, resource: &str) -> Result<(), ApiError> {
    match given {
        Some(given) if given != path => Err(ApiError::Invalid(vec![BodyError::new(
            "/id",
            format!(
                "`{given}` is not the id of the path, `{path}`; a {resource}'s id cannot change"
            ),
        )])),
        _ => Ok(()),
    }
}

/// Whether the writable document `input` says what `stored` holds, ids aside (a body may
/// leave its id out): such a write changes nothing.
pub fn says_the_same<T: Serialize>(input: &T, stored: &T) -> Result<bool, ApiError> {
    let document = |value: &T| {
        let mut document = serde_json::to_value(value)
            .map_err(|e| ApiError::Internal(format!("serialising a document: {e}")))?;
        if let Value::Object(fields) = &mut document {
            fields.remove("id");
        }
        Ok::<_, ApiError>(document)
    };
    Ok(document(input)? == document(stored)?)
}

/// The writable document `stored` with the JSON Merge Patch `patch` applied, read back into
/// its type: a field of the wrong shape is a 422 pointing at it.
pub fn patched<T: Serialize + DeserializeOwned>(stored: &T, patch: &Value) -> Result<T, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::Invalid(vec![BodyError::new(
            "",
            "a merge patch is a JSON object of the attributes to change",
        )]));
    }
    let mut document = serde_json::to_value(stored)
        .map_err(|e| ApiError::Internal(format!("serialising a document: {e}")))?;
    merge_patch(&mut document, patch);
    let bytes = serde_json::to_vec(&document)
        .map_err(|e| ApiError::Internal(format!("serialising a document: {e}")))?;
    parse(&bytes)
}

/// A JSON Merge Patch (RFC 7396) applied to `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(fields) = target {
        for (name, change) in changes {
            if change.is_null() {
                fields.remove(name);
            } else {
                merge_patch(fields.entry(name.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        // The example of RFC 7396, section 3.
        let mut target = json!({
            "title": "Goodbye!",
            "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"],
            "content": "This will be unchanged"
        });
        let patch = json!({
            "title": "Hello!",
            "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": null},
            "tags": ["example"]
        });
        merge_patch(&mut target, &patch);
        assert_eq!(
            target,
            json!({
                "title": "Hello!",
                "author": {"givenName": "John"},
                "tags": ["example"],
                "content": "This will be unchanged",
                "phoneNumber": "+01-123-456-7890"
            })
        );
    }
}
