//! `startups.json`: the port of upstream's `api/v2.7/startups.json` template. Every startup as a
//! JSON:API resource, streamed chunk by chunk, then every public incubator in `included`.

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::publish::compat::document::{
    self, Document, Out, as_read, liquid, without_organisation_prefix,
};
use crate::api::publish::compat::{for_each_chunk, own_url, push_json, url_encode};
use crate::api::shape::formats::{Format, stream};
use crate::db::incubators::Incubator;
use crate::db::sources_kept;
use crate::domain::source::RecordKind;

/// Text the template prints between quotes, as its reader gets it.
fn text(printed: String) -> Out {
    as_read(printed).into()
}

/// A list of texts, one per item of `key`.
fn texts(doc: &Document, key: &str, each: impl Fn(String) -> String) -> Out {
    Out::Array(
        doc.each(key)
            .into_iter()
            .map(|v| text(each(liquid(Some(v)))))
            .collect(),
    )
}

/// `{{ item.key }}` of an item of a list.
fn member(item: &Value, key: &str) -> String {
    liquid(item.get(key))
}

fn identifier(id: String) -> Out {
    Out::Object(vec![
        ("type", "incubator".to_owned().into()),
        ("id", text(id)),
    ])
}

/// One startup, as the template writes it: keys in its order, those it guards with `{% if %}`
/// only when their value is truthy.
fn resource(doc: &Document) -> Out {
    let mut attributes = vec![
        ("name", text(doc.print("title"))),
        ("pitch", text(doc.print("mission"))),
    ];
    let stats_url = if doc.truthy("stats_url") {
        doc.print("stats_url")
    } else if doc.truthy("stats") {
        format!("{}/stats", doc.print("link").trim())
    } else {
        String::new()
    };
    attributes.push(("stats_url", text(stats_url)));
    if doc.truthy("budget_url") {
        attributes.push(("budget_url", text(doc.print("budget_url"))));
    }
    if doc.truthy("link") {
        attributes.push(("impact_url", text(doc.print("impact_url"))));
        attributes.push(("link", text(doc.print("link"))));
    }
    if doc.truthy("repository") {
        attributes.push(("repository", text(doc.print("repository"))));
    }
    attributes.push(("contact", text(doc.print("contact"))));
    attributes.push((
        "content_url_encoded_markdown",
        url_encode(&doc.content).into(),
    ));
    let events = doc.each("events").into_iter().map(|event| {
        Out::Object(vec![
            ("name", text(member(event, "name"))),
            ("date", text(member(event, "date"))),
            (
                "comment",
                text(member(event, "comment").replace(['\r', '\n'], "")),
            ),
        ])
    });
    attributes.push(("events", Out::Array(events.collect())));
    let phases = doc.each("phases").into_iter().map(|phase| {
        Out::Object(vec![
            ("name", text(member(phase, "name"))),
            ("start", text(member(phase, "start"))),
            ("end", text(member(phase, "end"))),
        ])
    });
    attributes.push(("phases", Out::Array(phases.collect())));
    attributes.push((
        "sponsors",
        texts(doc, "sponsors", |s| without_organisation_prefix(&s)),
    ));
    attributes.push(("thematiques", texts(doc, "thematiques", |s| s)));
    attributes.push(("technos", texts(doc, "techno", |s| s)));
    for key in [
        "analyse_risques",
        "analyse_risques_url",
        "dashlord_url",
        "accessibility_status",
    ] {
        if doc.truthy(key) {
            attributes.push((key, text(doc.print(key))));
        }
    }
    let incubators = doc.incubator_ids().into_iter().map(identifier).collect();
    Out::Object(vec![
        ("id", text(doc.id.clone())),
        ("type", "startup".to_owned().into()),
        ("attributes", Out::Object(attributes)),
        (
            "relationships",
            Out::Object(vec![
                (
                    "incubator",
                    Out::Object(vec![("data", identifier(doc.print("incubator")))]),
                ),
                (
                    "incubators",
                    Out::Object(vec![("data", Out::Array(incubators))]),
                ),
            ]),
        ),
    ])
}

/// One public incubator of `included`.
fn included(doc: &Document) -> Out {
    let attributes = ["title", "owner", "website", "github", "contact"]
        .into_iter()
        .map(|key| (key, text(doc.print(key))))
        .collect();
    Out::Object(vec![
        ("id", text(doc.id.clone())),
        ("type", "incubator".to_owned().into()),
        ("attributes", Out::Object(attributes)),
    ])
}

/// The public incubators' documents, in id order.
pub(super) fn public_incubators(
    conn: &mut crate::db::DbConnection,
) -> Result<Vec<Document>, ApiError> {
    let hidden = Incubator::hidden_ids(conn)?;
    let incubators: Vec<Incubator> = Incubator::all(conn)?
        .into_iter()
        .filter(|i| !hidden.contains(&i.id))
        .collect();
    let ids: Vec<String> = incubators.iter().map(|i| i.id.clone()).collect();
    let mut sources = sources_kept::read_many(conn, RecordKind::Incubator, &ids)?;
    Ok(incubators
        .iter()
        .map(|i| document::incubator(i, sources.remove(&i.id)))
        .collect())
}

/// `GET /compat/v2.7/startups.json`.
pub async fn startups_json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let self_url = own_url(&req);
    stream(&state, Format::Json, move |conn, send| {
        let mut out = br#"{"links":{"self":"#.to_vec();
        push_json(&mut out, &self_url)?;
        out.extend_from_slice(br#"},"data":["#);
        let mut first = true;
        let mut gone = false;
        for_each_chunk(conn, None, |chunk| {
            for doc in chunk {
                if !first {
                    out.push(b',');
                }
                first = false;
                push_json(&mut out, &resource(&doc))?;
            }
            gone = !send(Bytes::from(std::mem::take(&mut out)));
            Ok(!gone)
        })?;
        if gone {
            return Ok(());
        }
        out.extend_from_slice(br#"],"included":"#);
        let incubators: Vec<Out> = public_incubators(conn)?.iter().map(included).collect();
        push_json(&mut out, &Out::Array(incubators))?;
        out.push(b'}');
        send(Bytes::from(out));
        Ok(())
    })
    .await
}
