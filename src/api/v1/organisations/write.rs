//! Writing organisations: `POST /organisations`, `PATCH`/`DELETE /organisations/{id}`, admin
//! tokens only.
//!
//! A deletion is refused (409) while the organisation owns an incubator or sponsors a
//! startup: the writer is told what still points at it, rather than getting a foreign-key
//! error.

use actix_web::{delete, patch, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::http::auth::Caller;
use crate::api::http::error::{ApiError, BodyError};
use crate::api::publish::compat::document::{changed_fields, organisation_fields};
use crate::api::shape::writable::{Changeable, Faults, Writable};
use crate::api::shape::write::WriteRequest;
use crate::api::shape::write_routes::write_routes;
use crate::api::v1::organisations::OrganisationResponse;
use crate::db::DbConnection;
use crate::db::organisations::{Involvement, Organisation};
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

impl Writable for OrganisationInput {
    type Row = Organisation;
    type View = OrganisationResponse;

    const RESOURCE: &'static str = "organisation";
    const KIND: Option<RecordKind> = Some(RecordKind::Organisation);
    const COLLECTION: &'static str = "/api/v1/organisations";
    const CHANGE_WITH: Option<&'static str> = Some("PATCH");
    const ADMIN_ONLY: bool = true;

    fn id(&self) -> Option<&String> {
        self.id.as_ref()
    }

    fn row(&self, id: &str) -> Organisation {
        Organisation {
            id: id.to_owned(),
            name: self.name.clone(),
            acronym: self.acronym.clone(),
            kind: self.kind.clone(),
        }
    }

    fn faults(&self, _stored: Option<&Self>) -> Vec<BodyError> {
        let mut faults = Faults::default();
        faults.check_some("/id", self.id.as_deref(), check_id);
        faults.check("/name", check_text(&self.name, MAX_NAME, true));
        faults.check_some("/acronym", self.acronym.as_deref(), |a| {
            check_text(a, MAX_ACRONYM, false)
        });
        faults.check("/kind", check_organisation_type(&self.kind));
        faults.into_vec()
    }

    fn may_write(_: &mut DbConnection, caller: &Caller, _: &Self) -> Result<(), ApiError> {
        caller.must_be_admin()
    }

    fn read(
        conn: &mut DbConnection,
        id: &str,
        _day: NaiveDate,
    ) -> Result<Option<(Organisation, OrganisationResponse)>, ApiError> {
        let Some(row) = Organisation::find(conn, id)? else {
            return Ok(None);
        };
        let view = OrganisationResponse::of(conn, row.clone())?;
        Ok(Some((row, view)))
    }
}

impl Changeable for OrganisationInput {
    fn of(organisation: &Organisation) -> Self {
        let organisation = organisation.clone();
        Self {
            id: Some(organisation.id),
            name: organisation.name,
            acronym: organisation.acronym,
            kind: organisation.kind,
        }
    }

    /// Refused while it owns an incubator or sponsors a startup.
    fn before_delete(conn: &mut DbConnection, _: &WriteRequest, id: &str) -> Result<(), ApiError> {
        let involvement = Organisation::involvement(conn, id)?;
        if involvement.is_empty() {
            return Ok(());
        }
        Err(ApiError::Conflict(in_use(id, &involvement)))
    }

    fn changed(before: &Organisation, after: &Organisation) -> (Vec<String>, bool) {
        let changed = changed_fields(&organisation_fields(before), &organisation_fields(after));
        (changed, false)
    }

    /// The startups it sponsors show its name and acronym.
    fn shown_in(
        conn: &mut DbConnection,
        before: &Organisation,
        after: &Organisation,
    ) -> Result<Vec<String>, ApiError> {
        if (&before.name, &before.acronym) == (&after.name, &after.acronym) {
            return Ok(Vec::new());
        }
        Ok(Startup::sponsored_by(conn, &after.id)?)
    }
}

write_routes! {
    OrganisationInput => OrganisationResponse, tag = "organisations", resource = "organisation",
    paths = ("/organisations", "/organisations/{id}"), id = ("Organisation id", "dgs");
    /// Create an organisation. Needs an admin token.
    create create_organisation, idempotency_key = "6f1c0a52-create-dgs";
    /// Change some attributes of an organisation: a JSON Merge Patch (RFC 7396) of its writable
    /// document (`null` unsets). Needs an admin token.
    update update_organisation;
    /// Delete an organisation that owns no incubator and sponsors no startup. Needs an admin
    /// token.
    delete delete_organisation, in_use = "It owns incubators or sponsors startups";
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
        assert!(input().faults(None).is_empty());
    }

    #[test]
    fn each_fault_points_at_its_field() {
        let mut bad = input();
        bad.id = Some("an/ct".into());
        bad.name = String::new();
        bad.acronym = Some("x".repeat(MAX_ACRONYM + 1));
        bad.kind = "Company Ltd".into();
        let pointers: Vec<String> = bad.faults(None).into_iter().map(|f| f.pointer).collect();
        assert_eq!(pointers, ["/id", "/name", "/acronym", "/kind"]);
        bad.kind = String::new();
        assert!(bad.faults(None)[3].detail.contains("required"));
    }

    #[test]
    fn the_writable_document_round_trips() {
        assert_eq!(OrganisationInput::of(&input().row("anct")), input());
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
