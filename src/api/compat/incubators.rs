//! `incubators.json`: an object keyed by incubator id, each entry with the startups it hosts and
//! its own details, streamed incubator by incubator.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Serialize;

use super::{for_each_chunk, owner_path, push_json, upstream_phase};
use crate::api::export::{Format, stream};
use crate::api::state::AppState;
use crate::db::incubators::Incubator;
use crate::db::startups::{PhaseRow, Relations, Startup};
use crate::error::ApiError;

/// A hosted startup as upstream's plugin lists it; absent values are `null`.
#[derive(Debug, Serialize)]
struct HostedStartup {
    id: String,
    name: String,
    pitch: Option<String>,
    repository: Option<String>,
    contact: Option<String>,
    phases: Vec<RecordedPhase>,
}

/// A phase as recorded upstream: `end` only when the record has one.
#[derive(Debug, Serialize)]
struct RecordedPhase {
    name: String,
    start: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<NaiveDate>,
}

/// An incubator's own details, written after its startups.
#[derive(Debug, Serialize)]
struct IncubatorDetails {
    title: String,
    owner: Option<String>,
    contact: Option<String>,
    address: Option<String>,
    website: Option<String>,
    github: Option<String>,
}

impl HostedStartup {
    fn new(startup: Startup, relations: Relations) -> Self {
        Self {
            id: startup.id,
            name: startup.name,
            pitch: startup.pitch,
            repository: startup.repository,
            contact: startup.contact,
            phases: relations.phases.iter().map(RecordedPhase::from).collect(),
        }
    }
}

impl From<&PhaseRow> for RecordedPhase {
    fn from(row: &PhaseRow) -> Self {
        Self {
            name: upstream_phase(&row.phase_id).to_owned(),
            start: row.start_date,
            end: row.end_date,
        }
    }
}

impl From<Incubator> for IncubatorDetails {
    fn from(incubator: Incubator) -> Self {
        Self {
            title: incubator.title,
            owner: owner_path(incubator.owner_id.as_deref()),
            contact: incubator.contact,
            address: incubator.address,
            website: incubator.website,
            github: None,
        }
    }
}

/// `GET /compat/v2.7/incubators.json`: every incubator, in id order. As in upstream's plugin,
/// the `startups` key exists only for an incubator that hosts some, and startups without an
/// incubator appear nowhere.
pub async fn incubators_json(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    stream(&state, Format::Json, |conn, send| {
        let mut out = vec![b'{'];
        for (n, incubator) in Incubator::all(conn)?.into_iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            push_json(&mut out, &incubator.id)?;
            out.push(b':');
            out.push(b'{');
            let mut hosts = false;
            let mut gone = false;
            for_each_chunk(conn, Some(&incubator.id), |chunk| {
                for (startup, relations) in chunk {
                    let opening: &[u8] = if hosts { b"," } else { br#""startups":["# };
                    out.extend_from_slice(opening);
                    hosts = true;
                    push_json(&mut out, &HostedStartup::new(startup, relations))?;
                }
                gone = !send(Bytes::from(std::mem::take(&mut out)));
                Ok(!gone)
            })?;
            if gone {
                return Ok(());
            }
            if hosts {
                out.extend_from_slice(b"],");
            }
            // The details' members and closing brace follow the startups inside one object.
            let details = serde_json::to_vec(&IncubatorDetails::from(incubator))
                .map_err(|e| ApiError::Internal(format!("writing JSON: {e}")))?;
            out.extend_from_slice(details.get(1..).unwrap_or_default());
        }
        out.push(b'}');
        send(Bytes::from(out));
        Ok(())
    })
    .await
}
