//! `organisations.json` (the port of upstream's template) and `sponsors.json` (of its
//! `render_sponsors_api` tag): every organisation, as an array and as an object keyed by id.
//! Organisations are a few hundred at most, so each answer is built whole.

use actix_web::{HttpResponse, web};

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::publish::compat::document::{self, Document, Out, escape};
use crate::api::publish::compat::push_json;
use crate::db::DbConnection;
use crate::db::organisations::Organisation;
use crate::db::sources_kept;
use crate::domain::source::RecordKind;

/// The fields both files print, in their order.
const FIELDS: [&str; 4] = ["name", "acronym", "domaine_ministeriel", "type"];

/// Every organisation's document, in id order.
fn documents(conn: &mut DbConnection) -> diesel::QueryResult<Vec<Document>> {
    let organisations = Organisation::all(conn)?;
    let ids: Vec<String> = organisations.iter().map(|o| o.id.clone()).collect();
    let mut sources = sources_kept::read_many(conn, RecordKind::Organisation, &ids)?;
    Ok(organisations
        .iter()
        .map(|o| document::organisation(o, sources.remove(&o.id)))
        .collect())
}

/// `GET /compat/v2.7/organisations.json`: the template HTML-escapes each value (`escape`).
pub async fn organisations_json(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let docs = state.db(documents).await?;
    let items: Vec<Out> = docs
        .iter()
        .map(|doc| {
            let mut members = vec![("id", doc.id.clone().into())];
            members.extend(
                FIELDS
                    .into_iter()
                    .map(|key| (key, escape(&doc.print(key)).into())),
            );
            Out::Object(members)
        })
        .collect();
    Ok(HttpResponse::Ok().json(Out::Array(items)))
}

/// `GET /compat/v2.7/sponsors.json`: Ruby's values, `null` where the file has none.
pub async fn sponsors_json(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let docs = state.db(documents).await?;
    let mut out = Vec::with_capacity(docs.len() * 160);
    out.push(b'{');
    for (n, doc) in docs.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        push_json(&mut out, &doc.id)?;
        out.push(b':');
        let members = FIELDS.into_iter().map(|key| (key, doc.raw(key).into()));
        push_json(&mut out, &Out::Object(members.collect()))?;
    }
    out.push(b'}');
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(out))
}
