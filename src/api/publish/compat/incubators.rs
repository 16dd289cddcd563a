//! `incubators.json`: the port of upstream's `render_incubators_api` tag (`_plugins/incubators.rb`).
//! An object keyed by incubator id: the startups each hosts, as their files have them, then its
//! own details, streamed incubator by incubator. A hidden incubator keeps its startups and loses
//! its details, as upstream's plugin drops hidden incubators from the collection it reads them
//! from.

use std::collections::HashSet;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::publish::compat::document::{self, Document, Out};
use crate::api::publish::compat::{file_order, for_each_chunk, push_json};
use crate::api::shape::formats::{Format, stream};
use crate::db::incubators::Incubator;
use crate::db::sources_kept;
use crate::domain::source::RecordKind;

/// A hosted startup: Ruby's values, `null` where the file has none.
fn hosted(doc: &Document) -> Out {
    Out::Object(vec![
        ("id", doc.id.clone().into()),
        ("name", doc.raw("title").into()),
        ("pitch", doc.raw("mission").into()),
        ("repository", doc.raw("repository").into()),
        ("contact", doc.raw("contact").into()),
        ("phases", doc.raw("phases").into()),
    ])
}

/// An incubator's own details, written after its startups.
fn details(doc: &Document) -> Vec<(&'static str, Out)> {
    ["title", "owner", "contact", "address", "website", "github"]
        .into_iter()
        .map(|key| (key, doc.raw(key).into()))
        .collect()
}

/// `GET /compat/v2.7/incubators.json`: every incubator in id order, with the key `startups`
/// only for one that hosts some.
pub async fn incubators_json(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    stream(&state, Format::Json, |conn, send| {
        let hidden: HashSet<String> = Incubator::hidden_ids(conn)?.into_iter().collect();
        let incubators = Incubator::all(conn)?;
        let ids: Vec<String> = incubators.iter().map(|i| i.id.clone()).collect();
        let mut sources = sources_kept::read_many(conn, RecordKind::Incubator, &ids)?;
        let mut out = vec![b'{'];
        let mut first = true;
        for incubator in incubators {
            let doc = document::incubator(&incubator, sources.remove(&incubator.id));
            let mut docs = Vec::new();
            for_each_chunk(conn, Some(&incubator.id), |chunk| {
                docs.extend(chunk);
                Ok(true)
            })?;
            docs.sort_by(|a, b| file_order(&a.id, &b.id));
            let hosted_startups: Vec<Out> = docs.iter().map(hosted).collect();
            let mut members = Vec::new();
            if !hosted_startups.is_empty() {
                members.push(("startups", Out::Array(hosted_startups)));
            }
            if !hidden.contains(&incubator.id) {
                members.extend(details(&doc));
            }
            if members.is_empty() {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            push_json(&mut out, &incubator.id)?;
            out.push(b':');
            push_json(&mut out, &Out::Object(members))?;
            if !send(Bytes::from(std::mem::take(&mut out))) {
                return Ok(());
            }
        }
        out.push(b'}');
        send(Bytes::from(out));
        Ok(())
    })
    .await
}
