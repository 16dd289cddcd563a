//! The startup list as CSV and NDJSON: one page, or the whole filtered collection streamed.
//!
//! CSV columns, stable: `id, name, pitch, incubator, sponsors, current_phase, created, updated,
//! link, repository, contact, usertypes, thematiques`, then `<phase>_start` and `<phase>_end`
//! for each phase of the reference, in its order (the first time the startup entered it; the
//! end as recorded, empty while it runs). Lists are joined with `|`; dates are `YYYY-MM-DD`.

use actix_web::HttpResponse;
use chrono::NaiveDate;

use super::{STARTUP_FIELDS, StartupSummary};
use crate::api::export::{self, Format};
use crate::api::state::AppState;
use crate::db::page::{Page, PageRequest};
use crate::db::phases::Phase;
use crate::db::startup_list::{self, Sort, SortKey, StartupFilter};
use crate::db::startups::{Relations, Startup};
use crate::error::ApiError;

/// What joins the items of a list in a CSV cell.
pub const LIST_SEPARATOR: &str = "|";

/// Rows read from the database per chunk of an export.
const CHUNK_ROWS: i64 = 1000;

/// The columns after a listed startup's attributes ([`STARTUP_FIELDS`]) and before the
/// per-phase ones.
pub const CSV_EXTRA_COLUMNS: [&str; 4] = ["repository", "contact", "usertypes", "thematiques"];

pub fn csv_header(phases: &[String]) -> Vec<String> {
    let per_phase = phases
        .iter()
        .flat_map(|p| [format!("{p}_start"), format!("{p}_end")]);
    STARTUP_FIELDS
        .iter()
        .chain(&CSV_EXTRA_COLUMNS)
        .map(|c| c.to_string())
        .chain(per_phase)
        .collect()
}

fn day(date: Option<NaiveDate>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

pub fn csv_record(
    startup: Startup,
    relations: Relations,
    on: NaiveDate,
    phases: &[String],
) -> Vec<String> {
    let per_phase: Vec<String> = phases
        .iter()
        .flat_map(|phase| {
            let span = relations.phases.iter().find(|r| &r.phase_id == phase);
            [
                day(span.map(|s| s.start_date)),
                day(span.and_then(|s| s.end_date)),
            ]
        })
        .collect();
    let usertypes = relations.usertypes.join(LIST_SEPARATOR);
    let thematiques = relations.thematiques.join(LIST_SEPARATOR);
    let repository = startup.repository.clone().unwrap_or_default();
    let contact = startup.contact.clone().unwrap_or_default();
    let summary = StartupSummary::new(startup, relations, on);
    [
        summary.id,
        summary.name,
        summary.pitch.unwrap_or_default(),
        summary.incubator.unwrap_or_default(),
        summary.sponsors.join(LIST_SEPARATOR),
        summary.current_phase.unwrap_or_default(),
        day(summary.created),
        summary.updated.format("%Y-%m-%dT%H:%M:%S").to_string(),
        summary.link.unwrap_or_default(),
        repository,
        contact,
        usertypes,
        thematiques,
    ]
    .into_iter()
    .chain(per_phase)
    .collect()
}

/// Encodes rows with their relations in `format` (CSV or NDJSON).
fn encode(
    format: Format,
    rows: Vec<(Startup, Relations)>,
    on: NaiveDate,
    phases: &[String],
) -> Result<actix_web::web::Bytes, ApiError> {
    match format {
        Format::Csv => {
            export::csv_chunk(rows.into_iter().map(|(s, r)| csv_record(s, r, on, phases)))
        }
        _ => {
            let items: Vec<StartupSummary> = rows
                .into_iter()
                .map(|(s, r)| StartupSummary::new(s, r, on))
                .collect();
            export::ndjson_chunk(&items)
        }
    }
}

fn with_relations(
    conn: &mut crate::db::DbConnection,
    rows: Vec<Startup>,
) -> diesel::QueryResult<Vec<(Startup, Relations)>> {
    let ids: Vec<String> = rows.iter().map(|s| s.id.clone()).collect();
    let mut relations = Startup::relations(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|s| {
            let r = relations.remove(&s.id).unwrap_or_default();
            (s, r)
        })
        .collect())
}

/// The whole filtered collection, streamed chunk by chunk in keyset order.
pub fn stream_all(
    state: &AppState,
    filter: StartupFilter,
    sort: Sort,
    format: Format,
) -> HttpResponse {
    // Relevance is ranked in memory, not in chunks: a search exports in id order.
    let sort = if sort.key == SortKey::Relevance {
        Sort {
            key: SortKey::Id,
            descending: false,
        }
    } else {
        sort
    };
    export::stream(state, format, move |conn, send| {
        let phases: Vec<String> = Phase::all(conn)?.into_iter().map(|p| p.id).collect();
        if format == Format::Csv && !send(export::csv_chunk([csv_header(&phases)])?) {
            return Ok(());
        }
        let mut request = PageRequest {
            size: CHUNK_ROWS,
            cursor: None,
        };
        loop {
            let rows = startup_list::sorted_rows(conn, &filter, sort, &request)?;
            let page = Page::from_rows(&request, rows, 0, |s| sort.key_of(s, None));
            let next = page.next;
            let chunk = encode(
                format,
                with_relations(conn, page.rows)?,
                filter.day,
                &phases,
            )?;
            if !send(chunk) {
                return Ok(());
            }
            match next {
                Some(cursor) => request.cursor = Some(cursor),
                None => return Ok(()),
            }
        }
    })
}

/// One page in CSV or NDJSON; its links travel in the `Link` header.
pub fn page_response(
    format: Format,
    link: Option<String>,
    rows: Vec<(Startup, Relations)>,
    on: NaiveDate,
    phases: &[String],
) -> Result<HttpResponse, ApiError> {
    let mut body = Vec::new();
    if format == Format::Csv {
        body.extend_from_slice(&export::csv_chunk([csv_header(phases)])?);
    }
    body.extend_from_slice(&encode(format, rows, on, phases)?);
    let mut response = HttpResponse::Ok();
    response.content_type(format.content_type());
    if let Some(link) = link {
        response.insert_header((actix_web::http::header::LINK, link));
    }
    Ok(response.body(body))
}
