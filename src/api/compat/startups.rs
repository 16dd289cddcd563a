//! `startups.json` (JSON:API) and `startups.csv`: the whole portfolio, streamed chunk by chunk.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Serialize;

use super::{for_each_chunk, own_url, owner_path, push_json, upstream_phase, url_encode};
use crate::api::export::{Format, stream};
use crate::api::state::{AppState, today};
use crate::db::incubators::Incubator;
use crate::db::startups::{Relations, Startup};
use crate::domain::phases::{PhaseSpan, current_phase};
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
pub async fn startups_json(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
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
}

/// The columns of upstream's `startups.csv`, in its order.
pub const CSV_HEADER: [&str; 12] = [
    "id",
    "name",
    "mission",
    "start",
    "status",
    "incubator",
    "stats",
    "link",
    "repository",
    "accessibility",
    "contact",
    "incubators",
];

/// Upstream's placeholder for an absent URL in its CSV.
const NULL: &str = "null";

/// One CSV record: see the module documentation of [`super`] for each column.
fn csv_record(startup: Startup, relations: &Relations, day: NaiveDate) -> [String; 12] {
    let history: Vec<PhaseSpan> = relations
        .phases
        .iter()
        .map(|p| PhaseSpan {
            phase: p.phase_id.clone(),
            start: p.start_date,
            end: p.end_date,
        })
        .collect();
    let start = history.iter().map(|s| s.start).min();
    let status = current_phase(&history, day).map(|s| upstream_phase(&s.phase).to_owned());
    let incubator = startup.incubator_id.unwrap_or_default();
    [
        startup.id,
        startup.name,
        startup.pitch.unwrap_or_default(),
        start.map(|d| d.to_string()).unwrap_or_default(),
        status.unwrap_or_default(),
        incubator.clone(),
        NULL.to_owned(),
        startup.link.unwrap_or_else(|| NULL.to_owned()),
        startup.repository.unwrap_or_else(|| NULL.to_owned()),
        String::new(),
        startup.contact.unwrap_or_default(),
        incubator,
    ]
}

/// Writes records `;`-separated, quoted where RFC 4180 needs it, with CRLF line ends.
fn csv_bytes<I, R, F>(records: I) -> Result<Bytes, ApiError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let error = |e: &dyn std::fmt::Display| ApiError::Internal(format!("writing CSV: {e}"));
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record).map_err(|e| error(&e))?;
    }
    writer.into_inner().map(Bytes::from).map_err(|e| error(&e))
}

/// `GET /compat/v2.7/startups.csv`: one row per startup, in id order.
pub async fn startups_csv(state: web::Data<AppState>) -> HttpResponse {
    let day = today();
    stream(&state, Format::Csv, move |conn, send| {
        if !send(csv_bytes([CSV_HEADER])?) {
            return Ok(());
        }
        for_each_chunk(conn, None, |chunk| {
            let records = chunk
                .into_iter()
                .map(|(startup, relations)| csv_record(startup, &relations, day));
            Ok(send(csv_bytes(records)?))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::startups::PhaseRow;

    fn d(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn startup(pitch: Option<&str>) -> Startup {
        Startup {
            id: "s".into(),
            name: "Nom; \"cité\"".into(),
            pitch: pitch.map(str::to_owned),
            incubator_id: Some("dinum".into()),
            link: None,
            repository: Some("https://example.org/r".into()),
            contact: None,
            description: None,
            created_on: None,
            updated_at: d("2024-01-01").and_hms_opt(0, 0, 0).expect("time"),
        }
    }

    fn phase(id: &str, start: &str) -> PhaseRow {
        PhaseRow {
            startup_id: "s".into(),
            phase_id: id.into(),
            start_date: d(start),
            end_date: None,
            next_start: None,
        }
    }

    #[test]
    fn a_record_maps_phases_and_writes_upstream_placeholders() {
        let relations = Relations {
            phases: vec![
                phase("construction", "2020-01-01"),
                phase("abandon", "2022-01-01"),
                phase("consolidation", "2030-01-01"),
            ],
            ..Relations::default()
        };
        let record = csv_record(startup(None), &relations, d("2024-06-01"));
        assert_eq!(
            record,
            [
                "s",
                "Nom; \"cité\"",
                "",
                "2020-01-01",
                "alumni",
                "dinum",
                "null",
                "null",
                "https://example.org/r",
                "",
                "",
                "dinum"
            ]
        );
    }

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let record = csv_record(
            startup(Some("a\nb")),
            &Relations::default(),
            d("2024-01-01"),
        );
        let text = csv_bytes([CSV_HEADER.map(str::to_owned), record]).expect("CSV");
        assert_eq!(
            std::str::from_utf8(&text).expect("UTF-8"),
            "id;name;mission;start;status;incubator;stats;link;repository;accessibility;contact;incubators\r\n\
             s;\"Nom; \"\"cité\"\"\";\"a\nb\";;;dinum;null;null;https://example.org/r;;;dinum\r\n"
        );
    }

    #[test]
    fn a_resource_without_link_has_no_impact_url_and_empty_strings_for_the_rest() {
        let resource = StartupResource::new(startup(None), Relations::default());
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
