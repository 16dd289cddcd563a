//! `startups_details.json` (the port of upstream's `render_startups_api` tag,
//! `_plugins/startups.rb`) and `authors.json`.
//!
//! Upstream fills the member lists from its `_authors/` folder; members are not held here, so
//! they are empty, and `authors.json` is `[]`, as upstream's own render of a tree without
//! members is.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::publish::compat::document::{Document, Out};
use crate::api::publish::compat::{for_each_chunk, push_json};
use crate::api::shape::formats::{Format, stream};

/// One startup's entry.
fn entry(doc: &Document) -> Out {
    let none = || Out::Array(Vec::new());
    Out::Object(vec![
        ("active_members", none()),
        ("previous_members", none()),
        ("expired_members", none()),
        ("id", doc.id.clone().into()),
        ("name", doc.raw("title").into()),
        ("repository", doc.raw("repository").into()),
        ("contact", doc.raw("contact").into()),
        ("phases", doc.raw("phases").into()),
    ])
}

/// `GET /compat/v2.7/startups_details.json`: an object keyed by startup id.
pub async fn startups_details_json(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    stream(&state, Format::Json, |conn, send| {
        let mut out = vec![b'{'];
        let mut first = true;
        for_each_chunk(conn, None, |chunk| {
            for doc in &chunk {
                if !first {
                    out.push(b',');
                }
                first = false;
                push_json(&mut out, &doc.id)?;
                out.push(b':');
                push_json(&mut out, &entry(doc))?;
            }
            Ok(send(Bytes::from(std::mem::take(&mut out))))
        })?;
        out.push(b'}');
        send(Bytes::from(out));
        Ok(())
    })
    .await
}

/// `GET /compat/v2.7/authors.json`: no member is held.
pub async fn authors_json() -> HttpResponse {
    HttpResponse::Ok().json(Vec::<()>::new())
}
