//! Writing incubators: `POST /incubators`, `PATCH`/`DELETE /incubators/{id}`, admin tokens
//! only.
//!
//! An incubator scopes tokens and hosts startups, so only an admin token changes the list of
//! incubators. A deletion is refused (409) while a startup or an unrevoked token still names
//! the incubator: the writer is told what to move or revoke first, rather than getting a
//! foreign-key error.

use actix_web::{delete, patch, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::http::auth::Caller;
use crate::api::http::error::{ApiError, BodyError};
use crate::api::publish::compat::document::{changed_fields, incubator_fields};
use crate::api::shape::writable::{Changeable, Faults, Writable};
use crate::api::shape::write::WriteRequest;
use crate::api::shape::write_routes::write_routes;
use crate::api::v1::incubators::IncubatorResponse;
use crate::db::DbConnection;
use crate::db::Keyed;
use crate::db::incubators::Incubator;
use crate::db::organisations::Organisation;
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

impl Writable for IncubatorInput {
    type Row = Incubator;
    type View = IncubatorResponse;

    const RESOURCE: &'static str = "incubator";
    const KIND: Option<RecordKind> = Some(RecordKind::Incubator);
    const COLLECTION: &'static str = "/api/v1/incubators";
    const CHANGE_WITH: Option<&'static str> = Some("PATCH");
    const ADMIN_ONLY: bool = true;

    fn id(&self) -> Option<&String> {
        self.id.as_ref()
    }

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

    fn faults(&self, _stored: Option<&Self>) -> Vec<BodyError> {
        let mut faults = Faults::default();
        faults.check_some("/id", self.id.as_deref(), check_id);
        faults.check("/title", check_text(&self.title, MAX_TITLE, true));
        faults.check_some("/owner", self.owner.as_deref(), check_id);
        faults.check_some("/website", self.website.as_deref(), check_url);
        faults.check_some("/contact", self.contact.as_deref(), check_contact);
        faults.check_some("/address", self.address.as_deref(), |a| {
            check_text(a, MAX_ADDRESS, false)
        });
        faults.check_some("/description", self.description.as_deref(), |d| {
            check_text(d, MAX_DESCRIPTION, false)
        });
        faults.into_vec()
    }

    /// The owner exists.
    fn reference_faults(&self, conn: &mut DbConnection) -> Result<Vec<BodyError>, ApiError> {
        let mut faults = Faults::default();
        if let Some(owner) = &self.owner
            && !Organisation::exists(conn, owner)?
        {
            faults.check(
                "/owner",
                Err(format!(
                    "`{owner}` is not an organisation (see /api/v1/organisations)"
                )),
            );
        }
        Ok(faults.into_vec())
    }

    fn may_write(_: &mut DbConnection, caller: &Caller, _: &Self) -> Result<(), ApiError> {
        caller.must_be_admin()
    }

    fn read(
        conn: &mut DbConnection,
        id: &str,
        day: NaiveDate,
    ) -> Result<Option<(Incubator, IncubatorResponse)>, ApiError> {
        let Some(row) = Incubator::find(conn, id)? else {
            return Ok(None);
        };
        let view = IncubatorResponse::of(conn, row.clone(), day)?;
        Ok(Some((row, view)))
    }
}

impl Changeable for IncubatorInput {
    fn of(incubator: &Incubator) -> Self {
        let incubator = incubator.clone();
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

    /// Refused while startups or unrevoked tokens name it.
    fn before_delete(conn: &mut DbConnection, _: &WriteRequest, id: &str) -> Result<(), ApiError> {
        let references = Incubator::references(conn, id)?;
        if references.is_empty() {
            return Ok(());
        }
        Err(ApiError::Conflict(in_use(id, &references)))
    }

    fn changed(before: &Incubator, after: &Incubator) -> (Vec<String>, bool) {
        let changed = changed_fields(&incubator_fields(before), &incubator_fields(after));
        (changed, before.description != after.description)
    }

    /// Its startups show its title.
    fn shown_in(
        conn: &mut DbConnection,
        before: &Incubator,
        after: &Incubator,
    ) -> Result<Vec<String>, ApiError> {
        if before.title == after.title {
            return Ok(Vec::new());
        }
        Ok(Startup::naming_incubator(conn, &after.id)?)
    }
}

write_routes! {
    IncubatorInput => IncubatorResponse, tag = "incubators", resource = "incubator",
    paths = ("/incubators", "/incubators/{id}"), id = ("Incubator id", "sgmas");
    /// Create an incubator. Needs an admin token.
    create create_incubator, idempotency_key = "6f1c0a52-create-sgmas";
    /// Change some attributes of an incubator: a JSON Merge Patch (RFC 7396) of its writable
    /// document (`null` unsets). Needs an admin token.
    update update_incubator;
    /// Delete an incubator that hosts no startup and scopes no unrevoked token. Needs an admin
    /// token.
    delete delete_incubator, in_use = "Startups or tokens still name it";
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
        assert!(input().faults(None).is_empty());
    }

    #[test]
    fn each_fault_points_at_its_field() {
        let mut bad = input();
        bad.id = Some("..".into());
        bad.title = " ".into();
        bad.website = Some("fabrique.gouv.fr".into());
        bad.contact = Some("call us".into());
        bad.address = Some("x".repeat(MAX_ADDRESS + 1));
        let pointers: Vec<String> = bad.faults(None).into_iter().map(|f| f.pointer).collect();
        assert_eq!(
            pointers,
            ["/id", "/title", "/website", "/contact", "/address"]
        );
    }

    #[test]
    fn the_writable_document_round_trips() {
        let again = IncubatorInput::of(&input().row("fabrique"));
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
