//! `startups.json`: the whole portfolio as JSON:API resources, streamed chunk by chunk, then
//! the incubators they point to.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Serialize;

use super::{for_each_chunk, own_url, owner_path, push_json, upstream_phase, url_encode};
use crate::api::export::{Format, stream};
use crate::api::state::AppState;
use crate::db::incubators::Incubator;
use crate::db::startups::{Relations, Startup};
use crate::error::ApiError;

/// The JSON:API type of a startup, and of an incubator.
const STARTUP: &str = "startup";
const INCUBATOR: &str = "incubator";

#[derive(Debug, Serialize)]
struct StartupResource {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: StartupAttributes,
    relationships: StartupRelationships,
}

/// In the template's order; `Option`s are the keys it writes only when the value exists.
#[derive(Debug, Serialize)]
struct StartupAttributes {
    name: String,
    pitch: String,
    stats_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<String>,
    contact: String,
    content_url_encoded_markdown: String,
    events: Vec<EventItem>,
    phases: Vec<PhaseItem>,
    sponsors: Vec<String>,
    thematiques: Vec<String>,
    technos: Vec<String>,
    usertypes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct EventItem {
    name: String,
    date: NaiveDate,
    /// On one line, as the template's `strip_newlines` leaves it.
    comment: String,
}

#[derive(Debug, Serialize)]
struct PhaseItem {
    name: String,
    start: NaiveDate,
    /// Empty while the phase runs.
    end: String,
}

#[derive(Debug, Serialize)]
struct StartupRelationships {
    /// The hosting incubator; its id is empty when there is none, as upstream writes it.
    incubator: ToOne,
    /// Every incubator of the startup: ours have one at most.
    incubators: ToMany,
}

#[derive(Debug, Serialize)]
struct ToOne {
    data: Identifier,
}

#[derive(Debug, Serialize)]
struct ToMany {
    data: Vec<Identifier>,
}

#[derive(Debug, Serialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
}

#[derive(Debug, Serialize)]
struct IncubatorResource {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: IncubatorAttributes,
}

#[derive(Debug, Serialize)]
struct IncubatorAttributes {
    title: String,
    owner: String,
    website: String,
    github: String,
    contact: String,
}

impl StartupResource {
    fn new(startup: Startup, relations: Relations) -> Self {
        let incubator = |id: &str| Identifier {
            kind: INCUBATOR,
            id: id.to_owned(),
        };
        let relationships = StartupRelationships {
            incubator: ToOne {
                data: incubator(startup.incubator_id.as_deref().unwrap_or_default()),
            },
            incubators: ToMany {
                data: startup
                    .incubator_id
                    .as_deref()
                    .map(incubator)
                    .into_iter()
                    .collect(),
            },
        };
        let events = relations
            .events
            .into_iter()
            .map(|e| EventItem {
                name: e.name,
                date: e.date,
                comment: e.comment.unwrap_or_default().replace(['\r', '\n'], ""),
            })
            .collect();
        let phases = relations
            .phases
            .iter()
            .map(|p| PhaseItem {
                name: upstream_phase(&p.phase_id).to_owned(),
                start: p.start_date,
                end: p.end_date.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect();
        let attributes = StartupAttributes {
            name: startup.name,
            pitch: startup.pitch.unwrap_or_default(),
            stats_url: String::new(),
            impact_url: startup.link.as_ref().map(|_| String::new()),
            link: startup.link,
            repository: startup.repository,
            contact: startup.contact.unwrap_or_default(),
            content_url_encoded_markdown: url_encode(
                startup.description.as_deref().unwrap_or_default(),
            ),
            events,
            phases,
            sponsors: relations.sponsors,
            thematiques: relations.thematiques,
            technos: Vec::new(),
            usertypes: relations.usertypes,
        };
        Self {
            id: startup.id,
            kind: STARTUP,
            attributes,
            relationships,
        }
    }
}

impl From<Incubator> for IncubatorResource {
    fn from(incubator: Incubator) -> Self {
        Self {
            kind: INCUBATOR,
            attributes: IncubatorAttributes {
                title: incubator.title,
                owner: owner_path(incubator.owner_id.as_deref()).unwrap_or_default(),
                website: incubator.website.unwrap_or_default(),
                github: String::new(),
                contact: incubator.contact.unwrap_or_default(),
            },
            id: incubator.id,
        }
    }
}

/// `GET /compat/v2.7/startups.json`: every startup as a JSON:API resource, then the incubators
/// they point to in `included`, collected on the way.
pub async fn startups_json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let self_url = own_url(&req);
    stream(&state, Format::Json, move |conn, send| {
        let mut incubators: BTreeMap<String, Incubator> = Incubator::all(conn)?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
        let mut referenced = BTreeSet::new();
        let mut out = br#"{"links":{"self":"#.to_vec();
        push_json(&mut out, &self_url)?;
        out.extend_from_slice(br#"},"data":["#);
        let mut first = true;
        let mut gone = false;
        for_each_chunk(conn, None, |chunk| {
            for (startup, relations) in chunk {
                referenced.extend(startup.incubator_id.clone());
                if !first {
                    out.push(b',');
                }
                first = false;
                push_json(&mut out, &StartupResource::new(startup, relations))?;
            }
            gone = !send(Bytes::from(std::mem::take(&mut out)));
            Ok(!gone)
        })?;
        if gone {
            return Ok(());
        }
        out.extend_from_slice(br#"],"included":["#);
        let included = referenced.iter().filter_map(|id| incubators.remove(id));
        for (n, incubator) in included.enumerate() {
            if n > 0 {
                out.push(b',');
            }
            push_json(&mut out, &IncubatorResource::from(incubator))?;
        }
        out.extend_from_slice(b"]}");
        send(Bytes::from(out));
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::compat::sample_startup;

    #[test]
    fn a_resource_without_link_has_no_impact_url_and_empty_strings_for_the_rest() {
        let resource = StartupResource::new(sample_startup(None), Relations::default());
        let json = serde_json::to_value(&resource).expect("JSON");
        let attributes = json["attributes"].as_object().expect("attributes");
        assert!(!attributes.contains_key("link") && !attributes.contains_key("impact_url"));
        assert_eq!(attributes["pitch"], "");
        assert_eq!(attributes["contact"], "");
        assert_eq!(attributes["technos"], serde_json::json!([]));
        assert_eq!(
            json["relationships"]["incubators"]["data"],
            serde_json::json!([{"type": "incubator", "id": "dinum"}])
        );
    }
}
