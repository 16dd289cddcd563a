//! `startups.csv`: the port of upstream's `api/v2.7/startups.csv` template, one `;`-separated
//! row per startup, in id order, streamed chunk by chunk.
//!
//! The values are the template's: `start` is the first phase's start as listed, `status` the
//! last phase's name as listed (not the current phase), `stats`, `link` and `repository` the
//! text `null` when absent, `incubators` the incubators joined with `,`. The template quotes
//! four columns and escapes nothing, so a `;`, a quote or a line break in a value breaks its
//! row; ours is RFC 4180 (quoted where needed, CRLF), and a CSV reader set to `;` reads the
//! same fields from both. Text that a spreadsheet would run as a formula is written with a `'`
//! before it, as in every CSV published ([`crate::api::shape::formula_safe`]).

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::publish::compat::document::Document;
use crate::api::publish::compat::for_each_chunk;
use crate::api::shape::columns::Column;
use crate::api::shape::formats::{Format, csv_chunk, stream};

/// The columns of upstream's `startups.csv`, in its order. The file has no TableSchema; the
/// types are there for the rule against formulas ([`crate::api::shape::formula_safe`]): `start` is a
/// date as listed, left as it is when it is one, and every other column is text.
pub const CSV_COLUMNS: [Column; 12] = [
    Column::text("id", "Identifier of the startup"),
    Column::text("name", "Its `title`"),
    Column::text("mission", "Its `mission`"),
    Column::date("start", "Start of the first phase listed"),
    Column::text("status", "Name of the last phase listed"),
    Column::text("incubator", "Its `incubator`"),
    Column::text("stats", "Its `stats_url`, or `null`"),
    Column::text("link", "Its `link`, or `null`"),
    Column::text("repository", "Its `repository`, or `null`"),
    Column::text("accessibility", "Its `accessibility_status`"),
    Column::text("contact", "Its `contact`"),
    Column::text("incubators", "The incubators, joined with `,`"),
];

/// What the template writes for an absent link, repository or statistics page.
const NULL: &str = "null";

/// One startup's row.
fn csv_record(doc: &Document) -> [String; 12] {
    let phases = doc.each("phases");
    let member = |phase: Option<&&serde_json::Value>, key: &str| {
        crate::api::publish::compat::document::liquid(phase.and_then(|p| p.get(key)))
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

/// Records `;`-separated, quoted where RFC 4180 needs it, with CRLF line ends, the header
/// row first when `header`.
fn csv_bytes<R: AsRef<str>>(
    header: bool,
    records: impl IntoIterator<Item = [R; 12]>,
) -> Result<Bytes, ApiError> {
    csv_chunk(b';', &CSV_COLUMNS, header, records)
}

/// `GET /compat/v2.7/startups.csv`: one row per startup, in id order.
pub async fn startups_csv(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    stream(&state, Format::Csv, move |conn, send| {
        if !send(csv_bytes::<String>(true, [])?) {
            return Ok(());
        }
        for_each_chunk(conn, None, |chunk| {
            Ok(send(csv_bytes(false, chunk.iter().map(csv_record))?))
        })
    })
    .await
}
