//! The whole exports of the startups and of their phase history, written from the lines stored
//! with each startup.
//!
//! A whole CSV or NDJSON export is what reusers download each day, and the first download
//! after a write rendered each startup from its rows: 10 µs a startup, a second at 100,000.
//! So each startup's lines are stored ([`crate::db::startup_lines`]): its record in the list
//! and its rows of the phase history, in both formats, rendered by [`refresh`] in the
//! transaction that wrote it. An export reads them in id order, and renders from its rows only
//! a startup without lines that hold on the day asked. Both are written by [`encode`], as the
//! pages of the same collections are: the same bytes either way.

use actix_web::HttpResponse;
use chrono::NaiveDate;
use diesel::QueryResult;

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::shape::formats::{Format, encode};
use crate::api::shape::stored_lines;
use crate::api::v1::startups::PhaseHistoryEntry;
use crate::api::v1::startups::rows::StartupExport;
use crate::db::DbConnection;
use crate::db::startup_lines::{self, Lines, StartupLines};
use crate::db::startups::{Relations, RelationsOf, Startup, StartupGraph};
use crate::representation::startup::StartupRecord;

/// Startups rendered per statement by [`refresh`].
const RENDER_BATCH: i64 = 1000;

/// A whole export written from the startups' lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `/api/v1/startups`: a record each.
    Startups,
    /// `/api/v1/phase-history`: a record for each phase of each.
    PhaseHistory,
}

impl Document {
    fn lines(self, format: Format) -> Lines {
        match (self, format) {
            (Document::Startups, Format::Csv) => Lines::StartupCsv,
            (Document::Startups, _) => Lines::StartupNdjson,
            (Document::PhaseHistory, Format::Csv) => Lines::PhasesCsv,
            (Document::PhaseHistory, _) => Lines::PhasesNdjson,
        }
    }

    /// What precedes the records: the CSV header.
    fn head(self, format: Format) -> Result<Vec<u8>, ApiError> {
        let head = match self {
            Document::Startups => encode::<StartupExport>(format, &[], true)?,
            Document::PhaseHistory => encode::<PhaseHistoryEntry>(format, &[], true)?,
        };
        Ok(head.to_vec())
    }
}

/// A startup rendered from its rows.
struct Rendered {
    /// The first day its record in the list holds for: its latest phase start.
    current_from: Option<NaiveDate>,
    export: StartupExport,
    phases: Vec<PhaseHistoryEntry>,
}

impl Rendered {
    /// Startup `startup` with its `relations`, for `day`, or, when `day` is `None`, for the
    /// start of its latest phase.
    fn new(startup: Startup, relations: Relations, day: Option<NaiveDate>) -> Self {
        let current_from = relations.phases.iter().map(|p| p.start_date).max();
        let phases = (relations.phases.iter().cloned())
            .map(PhaseHistoryEntry::from)
            .collect();
        let on = day.or(current_from).unwrap_or(NaiveDate::MIN);
        Rendered {
            current_from,
            export: StartupExport::new(startup, relations, on),
            phases,
        }
    }

    /// Its lines in `document`, in `format`, as a page of that export writes them.
    fn lines(&self, document: Document, format: Format) -> Result<String, ApiError> {
        match document {
            Document::Startups => stored_lines::line(format, std::slice::from_ref(&self.export)),
            Document::PhaseHistory => stored_lines::line(format, &self.phases),
        }
    }
}

/// The startups `ids` that exist, each rendered from its rows for `day`, or, when `day` is
/// `None`, for the start of its latest phase.
fn render(
    conn: &mut DbConnection,
    ids: &[String],
    day: Option<NaiveDate>,
) -> QueryResult<Vec<Rendered>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let startups = Startup::find_many(conn, ids)?;
    let mut relations = Startup::relations_of(conn, RelationsOf::Ids(ids))?;
    Ok(startups
        .into_iter()
        .map(|s| {
            let r = relations.remove(&s.id).unwrap_or_default();
            Rendered::new(s, r, day)
        })
        .collect())
}

/// Renders the lines and the item of up to [`RENDER_BATCH`] startups a write made stale;
/// returns how many stale startups it took, 0 when none was left.
///
/// Each startup is rendered for the start of its latest phase: from that day on, its current
/// phase, the one thing in its lines and its item that depends on the day, is that phase.
fn refresh_batch(conn: &mut DbConnection) -> QueryResult<usize> {
    let ids = startup_lines::stale(conn, RENDER_BATCH)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let lines = StartupRecord::read_many(conn, &ids)?
        .into_iter()
        .map(|record| {
            let StartupGraph { startup, relations } = record.graph();
            let rendered = Rendered::new(startup, relations, None);
            let written = |document, format| {
                rendered
                    .lines(document, format)
                    .map_err(stored_lines::unwritable)
            };
            let response = record.response(rendered.current_from.unwrap_or(NaiveDate::MIN));
            let item = serde_json::to_string(&response)
                .map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
            Ok(StartupLines {
                startup_id: rendered.export.id().to_owned(),
                current_from: rendered.current_from,
                csv: written(Document::Startups, Format::Csv)?,
                ndjson: written(Document::Startups, Format::Ndjson)?,
                phases_csv: written(Document::PhaseHistory, Format::Csv)?,
                phases_ndjson: written(Document::PhaseHistory, Format::Ndjson)?,
                item,
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    startup_lines::store(conn, &ids, &lines)?;
    Ok(ids.len())
}

/// Renders the lines of every startup a write made stale, in the caller's transaction; returns
/// how many stale startups it took.
pub fn refresh(conn: &mut DbConnection) -> QueryResult<usize> {
    stored_lines::refresh(conn, refresh_batch)
}

/// [`refresh`] in a transaction for each batch, under the writers' lock
/// ([`stored_lines::refresh_in_batches`]), for a database opened to serve.
pub fn refresh_in_batches(conn: &mut DbConnection) -> QueryResult<usize> {
    stored_lines::refresh_in_batches(conn, refresh_batch)
}

/// A whole export of the startups' lines, on `day`.
struct Export {
    document: Document,
    format: Format,
    day: NaiveDate,
}

impl stored_lines::StoredLines for Export {
    type Rendered = Rendered;

    fn read(
        &self,
        conn: &mut DbConnection,
        after: &str,
        limit: i64,
        each: &mut dyn FnMut(String, Option<String>),
    ) -> QueryResult<()> {
        let lines = self.document.lines(self.format);
        startup_lines::chunk(conn, lines, self.day, after, limit, each)
    }

    fn render(&self, conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Rendered>> {
        render(conn, ids, Some(self.day))
    }

    fn key(rendered: &Rendered) -> &str {
        rendered.export.id()
    }

    fn line(&self, rendered: &Rendered) -> Result<String, ApiError> {
        rendered.lines(self.document, self.format)
    }
}

/// Answers the whole `document` in `format` (CSV or NDJSON) on `day`, streamed.
pub async fn respond_whole(
    state: &AppState,
    document: Document,
    format: Format,
    day: NaiveDate,
) -> Result<HttpResponse, ApiError> {
    let head = document.head(format)?;
    let export = Export {
        document,
        format,
        day,
    };
    stored_lines::respond(state, format, head, export).await
}
