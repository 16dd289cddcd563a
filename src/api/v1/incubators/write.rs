//! Writing incubators: `POST /incubators`, `PATCH`/`DELETE /incubators/{id}`, admin tokens
//! only.
//!
//! An incubator scopes tokens and hosts startups, so only an admin token changes the list of
//! incubators. A deletion is refused (409) while a startup or an unrevoked token still names
//! the incubator: the writer is told what to move or revoke first, rather than getting a
//! foreign-key error.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::http::auth::Caller;
use crate::api::http::body::JsonBody;
use crate::api::http::error::{ApiError, BodyError, Problem};
use crate::api::http::state::AppState;
use crate::api::publish::compat::document::{changed_fields, incubator_fields};
use crate::api::shape::write::{
    WriteProblems, WriteRequest, Written, id_to_create, patched, path_segment, refuse_lookalike,
    same_id, says_the_same, write,
};
use crate::api::v1::incubators::IncubatorResponse;
use crate::api::v1::startups::record_shown_in;
use crate::db::DbConnection;
use crate::db::changes::Action;
use crate::db::incubators::Incubator;
use crate::db::organisations::Organisation;
use crate::db::sources_kept;
use crate::db::startups::Startup;
use crate::domain::fields::{check_contact, check_id, check_text, check_url};
use crate::domain::source::RecordKind;

const MAX_TITLE: usize = 200;
const MAX_ADDRESS: usize = 500;
const MAX_DESCRIPTION: usize = 50_000;

/// An incubator as an admin writes it. Absent texts are unset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncubatorInput {
    /// Its id, as the source names it (capitals and accents allowed; not `.`-led, no `/`, `\`,
    /// `?`, `#`, `%` or control character): required to create, and when given to
    /// `PATCH`, the id of the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "sgmas")]
    pub id: Option<String>,
    /// Its name, at most 200 characters. Left out, it is reported as empty.
    #[serde(default)]
    #[schema(required = true, example = "Fabrique numérique des ministères sociaux")]
    pub title: String,
    /// Id of the organisation that runs it (see /api/v1/organisations).
    #[serde(default)]
    #[schema(example = "solidarite-sante")]
    pub owner: Option<String>,
    /// Its web site, `http://` or `https://`.
    #[serde(default)]
    #[schema(example = "https://fabrique.social.gouv.fr")]
    pub website: Option<String>,
    /// An e-mail address, or a web page.
    #[serde(default)]
    #[schema(example = "contact@fabrique.social.gouv.fr")]
    pub contact: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// What it does, in Markdown.
    #[serde(default)]
    pub description: Option<String>,
}

impl IncubatorInput {
    /// The writable part of a stored incubator, the base a `PATCH` applies to.
    fn of(incubator: Incubator) -> Self {
        Self {
            id: Some(incubator.id),
            title: incubator.title,
            owner: incubator.owner_id,
            website: incubator.website,
            contact: incubator.contact,
            address: incubator.address,
            description: incubator.description,
        }
    }

    /// Every rule the incubator breaks that needs no database, each with its place.
    pub fn faults(&self) -> Vec<BodyError> {
        let mut faults = Vec::new();
        let mut check = |pointer: &str, outcome: Result<(), String>| {
            if let Err(detail) = outcome {
                faults.push(BodyError::new(pointer, detail));
            }
        };
        if let Some(id) = &self.id {
            check("/id", check_id(id));
        }
        check("/title", check_text(&self.title, MAX_TITLE, true));
        if let Some(owner) = &self.owner {
            check("/owner", check_id(owner));
        }
        if let Some(website) = &self.website {
            check("/website", check_url(website));
        }
        if let Some(contact) = &self.contact {
            check("/contact", check_contact(contact));
        }
        if let Some(address) = &self.address {
            check("/address", check_text(address, MAX_ADDRESS, false));
        }
        if let Some(description) = &self.description {
            check(
                "/description",
                check_text(description, MAX_DESCRIPTION, false),
            );
        }
        faults
    }

    /// The rule that needs the database: the owner exists.
    fn reference_faults(&self, conn: &mut DbConnection) -> Result<Vec<BodyError>, ApiError> {
        let mut faults = Vec::new();
        if let Some(owner) = &self.owner
            && !Organisation::exists(conn, owner)?
        {
            faults.push(BodyError::new(
                "/owner",
                format!("`{owner}` is not an organisation (see /api/v1/organisations)"),
            ));
        }
        Ok(faults)
    }

    /// The row to store as incubator `id`.
    fn row(&self, id: &str) -> Incubator {
        Incubator {
            id: id.to_owned(),
            title: self.title.clone(),
            owner_id: self.owner.clone(),
            website: self.website.clone(),
            contact: self.contact.clone(),
            address: self.address.clone(),
            description: self.description.clone(),
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        resource: "incubator",
        id: id.to_owned(),
    }
}

/// The incubator as `GET /incubators/{id}` shows it now.
fn read(conn: &mut DbConnection, id: &str, day: NaiveDate) -> Result<IncubatorResponse, ApiError> {
    IncubatorResponse::read(conn, id, day)?.ok_or_else(|| not_found(id))
}

/// Checks `input` whole, then stores it as incubator `id` (new, or replacing the stored one)
/// and records the change; answers the incubator as it became.
fn store(
    conn: &mut DbConnection,
    request: &WriteRequest,
    id: &str,
    input: &IncubatorInput,
    action: Action,
) -> Result<Written, ApiError> {
    let mut faults = input.faults();
    faults.extend(input.reference_faults(conn)?);
    if !faults.is_empty() {
        return Err(ApiError::Invalid(faults));
    }
    let row = input.row(id);
    let mut renamed = false;
    let status = match action {
        Action::Create => {
            row.insert(conn)?;
            StatusCode::CREATED
        }
        _ => {
            let stored = Incubator::find(conn, id)?.ok_or_else(|| not_found(id))?;
            if says_the_same(input, &IncubatorInput::of(stored.clone()))? {
                return Written::unchanged(&read(conn, id, request.today)?);
            }
            renamed = stored.title != row.title;
            row.update(conn)?;
            let changed = changed_fields(&incubator_fields(&stored), &incubator_fields(&row));
            let content = stored.description != row.description;
            sources_kept::forget(conn, RecordKind::Incubator, id, &changed, content)?;
            StatusCode::OK
        }
    };
    let incubator = read(conn, id, request.today)?;
    request.record(conn, "incubator", id, action, Some(&incubator))?;
    if renamed {
        // Its startups show its title.
        let startups = Startup::naming_incubator(conn, id)?;
        record_shown_in(conn, request, &startups)?;
    }
    Written::json(status, &incubator)
}

/// Reads the stored incubator for a change: 404 when absent, 412 when `If-Match` names another
/// version. Returns its writable part.
fn current(
    conn: &mut DbConnection,
    request: &WriteRequest,
    id: &str,
) -> Result<IncubatorInput, ApiError> {
    request.check_version(&read(conn, id, request.today)?)?;
    let stored = Incubator::find(conn, id)?.ok_or_else(|| not_found(id))?;
    Ok(IncubatorInput::of(stored))
}

/// Create an incubator. Needs an admin token.
#[utoipa::path(
    tag = "incubators",
    request_body = IncubatorInput,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body give the same answer, and write once", example = "6f1c0a52-create-sgmas")),
    responses(
        (status = 201, description = "Created; `Location` says where", body = IncubatorResponse),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[post("/incubators")]
pub async fn create_incubator(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<IncubatorInput>,
) -> Result<HttpResponse, ApiError> {
    caller.must_be_admin()?;
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let input = body.value;
    let id = id_to_create(input.id.as_ref(), "incubator")?;
    write(&state, request, move |conn, request| {
        if Incubator::exists(conn, &id)? {
            return Err(ApiError::Conflict(format!(
                "incubator `{id}` exists; change it with PATCH /api/v1/incubators/{id}"
            )));
        }
        refuse_lookalike(conn, RecordKind::Incubator, &id)?;
        Ok(store(conn, request, &id, &input, Action::Create)?
            .created_at(format!("/api/v1/incubators/{}", path_segment(&id))))
    })
    .await
}

/// Change some attributes of an incubator: a JSON Merge Patch (RFC 7396) of its writable
/// document (`null` unsets). Needs an admin token.
#[utoipa::path(
    tag = "incubators",
    request_body(content = Object, content_type = "application/merge-patch+json", description = "The attributes to change, as in IncubatorInput"),
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Incubator id", example = "sgmas"),
        ("If-Match" = Option<String>, Header, description = "The ETag read: the write is refused (412) if the incubator changed since", example = "\"5d41402abc4b2a76b9719d911017c592\""),
    ),
    responses(
        (status = 200, description = "The incubator as it became", body = IncubatorResponse),
        (status = 404, description = "No such incubator", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[patch("/incubators/{id}")]
pub async fn update_incubator(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    caller: Caller,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    caller.must_be_admin()?;
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let (id, patch) = (id.into_inner(), body.value);
    write(&state, request, move |conn, request| {
        let stored = current(conn, request, &id)?;
        let input: IncubatorInput = patched(&stored, &patch)?;
        same_id(input.id.as_ref(), &id, "incubator")?;
        store(conn, request, &id, &input, Action::Update)
    })
    .await
}

/// Delete an incubator that hosts no startup and scopes no unrevoked token. Needs an admin
/// token.
#[utoipa::path(
    tag = "incubators",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Incubator id", example = "sgmas"),
        ("If-Match" = Option<String>, Header, description = "The ETag read: the write is refused (412) if the incubator changed since", example = "\"5d41402abc4b2a76b9719d911017c592\""),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such incubator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Startups or tokens still name it", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[delete("/incubators/{id}")]
pub async fn delete_incubator(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.must_be_admin()?;
    let request = WriteRequest::new(&req, caller, &[])?;
    let id = id.into_inner();
    write(&state, request, move |conn, request| {
        current(conn, request, &id)?;
        let references = Incubator::references(conn, &id)?;
        if !references.is_empty() {
            return Err(ApiError::Conflict(in_use(&id, &references)));
        }
        if !Incubator::delete(conn, &id)? {
            return Err(not_found(&id));
        }
        request.record::<()>(conn, "incubator", &id, Action::Delete, None)?;
        Ok(Written::no_content())
    })
    .await
}

/// Why incubator `id` cannot be deleted yet, and what to do first.
fn in_use(id: &str, references: &crate::db::incubators::IncubatorReferences) -> String {
    let mut reasons = Vec::new();
    if references.startups > 0 {
        reasons.push(format!(
            "it hosts {} startup(s) (move or delete them first: /api/v1/incubators/{id}/startups)",
            references.startups
        ));
    }
    if !references.tokens.is_empty() {
        let names: Vec<String> = references
            .tokens
            .iter()
            .map(|name| format!("`{name}`"))
            .collect();
        reasons.push(format!(
            "token(s) {} are scoped to it (revoke them first: betadata token revoke NAME)",
            names.join(", ")
        ));
    }
    format!(
        "incubator `{id}` cannot be deleted: {}",
        reasons.join("; and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> IncubatorInput {
        serde_json::from_value(serde_json::json!({
            "id": "fabrique",
            "title": "Fabrique numérique",
            "owner": "dinum",
            "website": "https://fabrique.example.gouv.fr",
            "contact": "contact@fabrique.example.gouv.fr"
        }))
        .expect("an incubator")
    }

    #[test]
    fn a_good_incubator_breaks_no_rule() {
        assert!(input().faults().is_empty());
    }

    #[test]
    fn each_fault_points_at_its_field() {
        let mut bad = input();
        bad.id = Some("..".into());
        bad.title = " ".into();
        bad.website = Some("fabrique.gouv.fr".into());
        bad.contact = Some("call us".into());
        bad.address = Some("x".repeat(MAX_ADDRESS + 1));
        let pointers: Vec<String> = bad.faults().into_iter().map(|f| f.pointer).collect();
        assert_eq!(
            pointers,
            ["/id", "/title", "/website", "/contact", "/address"]
        );
    }

    #[test]
    fn the_writable_document_round_trips() {
        let again = IncubatorInput::of(input().row("fabrique"));
        assert_eq!(again, input());
    }

    #[test]
    fn a_refused_deletion_says_what_to_do() {
        let references = crate::db::incubators::IncubatorReferences {
            startups: 3,
            tokens: vec!["dinum-ci".into()],
        };
        let detail = in_use("dinum", &references);
        assert!(
            detail.contains("3 startup(s)") && detail.contains("`dinum-ci`"),
            "{detail}"
        );
    }
}
