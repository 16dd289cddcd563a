//! `startups.csv`: the port of upstream's `api/v2.7/startups.csv` template, one `;`-separated
//! row per startup, in id order, streamed chunk by chunk.
//!
//! The values are the template's: `start` is the first phase's start as listed, `status` the
//! last phase's name as listed (not the current phase), `stats`, `link` and `repository` the
//! text `null` when absent, `incubators` the incubators joined with `,`. The template quotes
//! four columns and escapes nothing, so a `;`, a quote or a line break in a value breaks its
//! row; ours is RFC 4180 (quoted where needed, CRLF), and a CSV reader set to `;` reads the
//! same fields from both.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};

use super::document::Document;
use super::for_each_chunk;
use crate::api::export::{Format, stream};
use crate::api::state::AppState;
use crate::error::ApiError;

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

/// What the template writes for an absent link, repository or statistics page.
const NULL: &str = "null";

/// One startup's row.
fn csv_record(doc: &Document) -> [String; 12] {
    let phases = doc.each("phases");
    let member = |phase: Option<&&serde_json::Value>, key: &str| {
        super::document::liquid(phase.and_then(|p| p.get(key)))
    };
    let or_null = |key: &str| {
        if doc.truthy(key) {
            doc.print(key)
        } else {
            NULL.to_owned()
        }
    };
    [
        doc.id.clone(),
        doc.print("title"),
        doc.print("mission"),
        member(phases.first(), "start"),
        member(phases.last(), "name"),
        doc.print("incubator"),
        or_null("stats_url"),
        or_null("link"),
        or_null("repository"),
        doc.print("accessibility_status"),
        doc.print("contact"),
        doc.incubator_ids().join(","),
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
pub async fn startups_csv(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    stream(&state, Format::Csv, move |conn, send| {
        if !send(csv_bytes([CSV_HEADER])?) {
            return Ok(());
        }
        for_each_chunk(conn, None, |chunk| {
            Ok(send(csv_bytes(chunk.iter().map(csv_record))?))
        })
    })
    .await
}
