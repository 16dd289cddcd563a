//! Writing organisations: `POST /organisations`, `PATCH`/`DELETE /organisations/{id}`, admin
//! tokens only.
//!
//! A deletion is refused (409) while the organisation owns an incubator or sponsors a
//! startup: the writer is told what still points at it, rather than getting a foreign-key
//! error.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::http::auth::Caller;
use crate::api::http::body::JsonBody;
use crate::api::http::error::{ApiError, BodyError, Problem};
use crate::api::http::state::AppState;
use crate::api::publish::compat::document::{changed_fields, organisation_fields};
use crate::api::shape::write::{
    WriteProblems, WriteRequest, Written, id_to_create, patched, path_segment, refuse_lookalike,
    same_id, says_the_same, write,
};
use crate::api::v1::organisations::OrganisationResponse;
use crate::api::v1::startups::record_shown_in;
use crate::db::DbConnection;
use crate::db::changes::Action;
use crate::db::organisations::{Involvement, Organisation};
use crate::db::sources_kept;
use crate::db::startups::Startup;
use crate::domain::fields::{check_id, check_organisation_type, check_text};
use crate::domain::source::RecordKind;

const MAX_NAME: usize = 200;
const MAX_ACRONYM: usize = 50;

/// An organisation as an admin writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationInput {
    /// Its id, as the source names it (capitals and accents allowed; not `.`-led, no `/`, `\`,
    /// `?`, `#`, `%` or control character): required to create, and when given to `PATCH`, the
    /// id of the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "dgs")]
    pub id: Option<String>,
    /// Its full name, at most 200 characters. Left out, it is reported as empty.
    #[serde(default)]
    #[schema(required = true, example = "Direction générale de la santé")]
    pub name: String,
    /// Its usual acronym, at most 50 characters.
    #[serde(default)]
    #[schema(example = "DGS")]
    pub acronym: Option<String>,
    /// Its type, as beta.gouv.fr's content tree names them: `administration-centrale`,
    /// `operateur`, `collectivite-territoriale`, `service-deconcentre`, `securite-sociale`,
    /// `autre`, or another slug the data uses. Left out, it is reported as missing.
    #[serde(default)]
    #[schema(required = true, example = "administration-centrale")]
    pub kind: String,
}

impl OrganisationInput {
    /// The writable part of a stored organisation, the base a `PATCH` applies to.
    fn of(organisation: Organisation) -> Self {
        Self {
            id: Some(organisation.id),
            name: organisation.name,
            acronym: organisation.acronym,
            kind: organisation.kind,
        }
    }

    /// Every rule the organisation breaks, each with its place.
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
        check("/name", check_text(&self.name, MAX_NAME, true));
        if let Some(acronym) = &self.acronym {
            check("/acronym", check_text(acronym, MAX_ACRONYM, false));
        }
        check("/kind", check_organisation_type(&self.kind));
        faults
    }

    /// The row to store as organisation `id`.
    fn row(&self, id: &str) -> Organisation {
        Organisation {
            id: id.to_owned(),
            name: self.name.clone(),
            acronym: self.acronym.clone(),
            kind: self.kind.clone(),
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        resource: "organisation",
        id: id.to_owned(),
    }
}

/// The organisation as `GET /organisations/{id}` shows it now.
fn read(conn: &mut DbConnection, id: &str) -> Result<OrganisationResponse, ApiError> {
    OrganisationResponse::read(conn, id)?.ok_or_else(|| not_found(id))
}

/// Checks `input` whole, then stores it as organisation `id` (new, or replacing the stored
/// one) and records the change; answers the organisation as it became.
fn store(
    conn: &mut DbConnection,
    request: &WriteRequest,
    id: &str,
    input: &OrganisationInput,
    action: Action,
) -> Result<Written, ApiError> {
    let faults = input.faults();
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
            let stored = Organisation::find(conn, id)?.ok_or_else(|| not_found(id))?;
            if says_the_same(input, &OrganisationInput::of(stored.clone()))? {
                return Written::unchanged(&read(conn, id)?);
            }
            renamed = (&stored.name, &stored.acronym) != (&row.name, &row.acronym);
            row.update(conn)?;
            let changed = changed_fields(&organisation_fields(&stored), &organisation_fields(&row));
            sources_kept::forget(conn, RecordKind::Organisation, id, &changed, false)?;
            StatusCode::OK
        }
    };
    let organisation = read(conn, id)?;
    request.record(conn, "organisation", id, action, Some(&organisation))?;
    if renamed {
        // The startups it sponsors show its name and acronym.
        let startups = Startup::sponsored_by(conn, id)?;
        record_shown_in(conn, request, &startups)?;
    }
    Written::json(status, &organisation)
}

/// Reads the stored organisation for a change: 404 when absent, 412 when `If-Match` names
/// another version. Returns its writable part.
fn current(
    conn: &mut DbConnection,
    request: &WriteRequest,
    id: &str,
) -> Result<OrganisationInput, ApiError> {
    request.check_version(&read(conn, id)?)?;
    let stored = Organisation::find(conn, id)?.ok_or_else(|| not_found(id))?;
    Ok(OrganisationInput::of(stored))
}

/// Create an organisation. Needs an admin token.
#[utoipa::path(
    tag = "organisations",
    request_body = OrganisationInput,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body give the same answer, and write once", example = "6f1c0a52-create-dgs")),
    responses(
        (status = 201, description = "Created; `Location` says where", body = OrganisationResponse),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[post("/organisations")]
pub async fn create_organisation(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<OrganisationInput>,
) -> Result<HttpResponse, ApiError> {
    caller.must_be_admin()?;
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let input = body.value;
    let id = id_to_create(input.id.as_ref(), "organisation")?;
    write(&state, request, move |conn, request| {
        if Organisation::exists(conn, &id)? {
            return Err(ApiError::Conflict(format!(
                "organisation `{id}` exists; change it with PATCH /api/v1/organisations/{id}"
            )));
        }
        refuse_lookalike(conn, RecordKind::Organisation, &id)?;
        Ok(store(conn, request, &id, &input, Action::Create)?
            .created_at(format!("/api/v1/organisations/{}", path_segment(&id))))
    })
    .await
}

/// Change some attributes of an organisation: a JSON Merge Patch (RFC 7396) of its writable
/// document (`null` unsets). Needs an admin token.
#[utoipa::path(
    tag = "organisations",
    request_body(content = Object, content_type = "application/merge-patch+json", description = "The attributes to change, as in OrganisationInput"),
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Organisation id", example = "dgs"),
        ("If-Match" = Option<String>, Header, description = "The ETag read: the write is refused (412) if the organisation changed since", example = "\"5d41402abc4b2a76b9719d911017c592\""),
    ),
    responses(
        (status = 200, description = "The organisation as it became", body = OrganisationResponse),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[patch("/organisations/{id}")]
pub async fn update_organisation(
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
        let input: OrganisationInput = patched(&stored, &patch)?;
        same_id(input.id.as_ref(), &id, "organisation")?;
        store(conn, request, &id, &input, Action::Update)
    })
    .await
}

/// Delete an organisation that owns no incubator and sponsors no startup. Needs an admin
/// token.
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Organisation id", example = "dgs"),
        ("If-Match" = Option<String>, Header, description = "The ETag read: the write is refused (412) if the organisation changed since", example = "\"5d41402abc4b2a76b9719d911017c592\""),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It owns incubators or sponsors startups", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[delete("/organisations/{id}")]
pub async fn delete_organisation(
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
        let involvement = Organisation::involvement(conn, &id)?;
        if !involvement.is_empty() {
            return Err(ApiError::Conflict(in_use(&id, &involvement)));
        }
        if !Organisation::delete(conn, &id)? {
            return Err(not_found(&id));
        }
        request.record::<()>(conn, "organisation", &id, Action::Delete, None)?;
        Ok(Written::no_content())
    })
    .await
}

/// Why organisation `id` cannot be deleted yet, and what to do first.
fn in_use(id: &str, involvement: &Involvement) -> String {
    let mut reasons = Vec::new();
    if !involvement.incubators.is_empty() {
        let names: Vec<String> = involvement
            .incubators
            .iter()
            .map(|incubator| format!("`{incubator}`"))
            .collect();
        reasons.push(format!(
            "it owns incubator(s) {} (give them another owner, or delete them, first)",
            names.join(", ")
        ));
    }
    if involvement.sponsored_startups > 0 {
        reasons.push(format!(
            "it sponsors {} startup(s) (take it out of their sponsors first)",
            involvement.sponsored_startups
        ));
    }
    format!(
        "organisation `{id}` cannot be deleted: {}",
        reasons.join("; and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OrganisationInput {
        serde_json::from_value(serde_json::json!({
            "id": "anct",
            "name": "Agence nationale de la cohésion des territoires",
            "acronym": "ANCT",
            "kind": "operateur"
        }))
        .expect("an organisation")
    }

    #[test]
    fn a_good_organisation_breaks_no_rule() {
        assert!(input().faults().is_empty());
    }

    #[test]
    fn each_fault_points_at_its_field() {
        let mut bad = input();
        bad.id = Some("an/ct".into());
        bad.name = String::new();
        bad.acronym = Some("x".repeat(MAX_ACRONYM + 1));
        bad.kind = "Company Ltd".into();
        let pointers: Vec<String> = bad.faults().into_iter().map(|f| f.pointer).collect();
        assert_eq!(pointers, ["/id", "/name", "/acronym", "/kind"]);
        bad.kind = String::new();
        assert!(bad.faults()[3].detail.contains("required"));
    }

    #[test]
    fn the_writable_document_round_trips() {
        assert_eq!(OrganisationInput::of(input().row("anct")), input());
    }

    #[test]
    fn a_refused_deletion_says_what_to_do() {
        let involvement = Involvement {
            incubators: vec!["dinum".into()],
            sponsored_startups: 2,
        };
        let detail = in_use("dinum", &involvement);
        assert!(
            detail.contains("`dinum`") && detail.contains("2 startup(s)"),
            "{detail}"
        );
    }
}
