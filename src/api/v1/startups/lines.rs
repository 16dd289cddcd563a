//! The whole startup export, written from the lines stored with each startup.
//!
//! A whole CSV or NDJSON export of every startup is what reusers download each day, and the
//! first download after a write rendered each startup from its rows: 10 µs a startup, a
//! second at 100,000. So each startup's CSV record and NDJSON line are stored
//! ([`crate::db::startup_lines`]), rendered by [`refresh`] in the transaction that wrote it;
//! the export then reads them in id order and renders from its rows only a startup without
//! lines that hold on the day asked. Both are written by [`encode`], as the pages of the same
//! collection are: the same bytes either way.

use std::collections::HashMap;

use actix_web::HttpResponse;
use chrono::NaiveDate;
use diesel::{Connection, QueryResult};

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::shape::formats::{CHUNK_ROWS, Format, encode, stream};
use crate::api::v1::startups::rows::StartupExport;
use crate::db::startup_lines::{self, LineFormat, StartupLines};
use crate::db::startups::{RelationsOf, Startup};
use crate::db::{self, DbConnection};

/// Startups rendered per statement by [`refresh`].
const RENDER_BATCH: i64 = 1000;

/// `export` written as one line of `format`, as a page of the export writes it.
fn line(export: &StartupExport, format: Format) -> Result<String, ApiError> {
    let bytes = encode(format, std::slice::from_ref(export), false)?;
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::Internal(format!("an export line is not UTF-8: {e}")))
}

/// The startups `ids` that exist, each rendered from its rows for `day`, or, when `day` is
/// `None`, for the start of its latest phase; with that start.
fn render(
    conn: &mut DbConnection,
    ids: &[String],
    day: Option<NaiveDate>,
) -> QueryResult<Vec<(Option<NaiveDate>, StartupExport)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let startups = Startup::find_many(conn, ids)?;
    let mut relations = Startup::relations_of(conn, RelationsOf::Ids(ids))?;
    Ok(startups
        .into_iter()
        .map(|s| {
            let r = relations.remove(&s.id).unwrap_or_default();
            let current_from = r.phases.iter().map(|p| p.start_date).max();
            let on = day.or(current_from).unwrap_or(NaiveDate::MIN);
            (current_from, StartupExport::new(s, r, on))
        })
        .collect())
}

/// Renders the lines of up to [`RENDER_BATCH`] startups a write made stale; returns how many
/// stale startups it took, 0 when none was left.
///
/// Each startup's lines are rendered for the start of its latest phase: from that day on, its
/// current phase, the one thing in them that depends on the day, is that phase.
fn refresh_batch(conn: &mut DbConnection) -> QueryResult<usize> {
    let ids = startup_lines::stale(conn, RENDER_BATCH)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let lines = render(conn, &ids, None)?
        .into_iter()
        .map(|(current_from, export)| {
            let written = |format| line(&export, format).map_err(unwritable);
            Ok(StartupLines {
                current_from,
                csv: written(Format::Csv)?,
                ndjson: written(Format::Ndjson)?,
                startup_id: export.id().to_owned(),
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    startup_lines::store(conn, &ids, &lines)?;
    Ok(ids.len())
}

/// Renders the lines of every startup a write made stale, in the caller's transaction; returns
/// how many stale startups it took.
pub fn refresh(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut taken = 0;
    loop {
        match refresh_batch(conn)? {
            0 => return Ok(taken),
            n => taken += n,
        }
    }
}

/// [`refresh`] in a transaction for each batch, for a database opened to serve (lines left
/// stale by a migration, or by a writer older than them): another writer waits for one batch
/// at most.
pub fn refresh_in_batches(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut taken = 0;
    loop {
        match conn.transaction(refresh_batch)? {
            0 => return Ok(taken),
            n => taken += n,
        }
    }
}

fn unwritable(error: ApiError) -> diesel::result::Error {
    diesel::result::Error::SerializationError(error.to_string().into())
}

/// One chunk of the whole export: up to [`CHUNK_ROWS`] startups after `after`, written; the
/// last id, and whether more may follow.
fn chunk(
    conn: &mut DbConnection,
    format: Format,
    day: NaiveDate,
    after: Option<&str>,
) -> Result<(Vec<u8>, Option<String>, bool), ApiError> {
    let line_format = match format {
        Format::Csv => LineFormat::Csv,
        _ => LineFormat::Ndjson,
    };
    let (rows, rendered) = db::read(conn, |conn| {
        let rows = startup_lines::chunk(conn, line_format, day, after, CHUNK_ROWS)?;
        let missing: Vec<String> = rows
            .iter()
            .filter(|(_, line)| line.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        Ok((rows, render(conn, &missing, Some(day))?))
    })?;
    let mut rendered: HashMap<String, StartupExport> = rendered
        .into_iter()
        .map(|(_, export)| (export.id().to_owned(), export))
        .collect();
    let more = rows.len() as i64 == CHUNK_ROWS;
    let mut out = Vec::with_capacity(
        rows.iter()
            .map(|(_, l)| l.as_ref().map_or(400, String::len))
            .sum(),
    );
    for (id, stored) in &rows {
        match (stored, rendered.remove(id)) {
            (Some(stored), _) => out.extend_from_slice(stored.as_bytes()),
            (None, Some(export)) => out.extend_from_slice(line(&export, format)?.as_bytes()),
            // Deleted between the two reads of a backend without a read snapshot.
            (None, None) => {}
        }
    }
    Ok((out, rows.last().map(|(id, _)| id.clone()), more))
}

/// Answers the whole export of every startup on `day` in `format` (CSV or NDJSON), streamed.
pub async fn respond_whole(
    state: &AppState,
    format: Format,
    day: NaiveDate,
) -> Result<HttpResponse, ApiError> {
    stream(state, format, move |conn, send| {
        let mut written = encode::<StartupExport>(format, &[], true)?.to_vec();
        let mut after: Option<String> = None;
        loop {
            let (lines, last, more) = chunk(conn, format, day, after.as_deref())?;
            written.extend_from_slice(&lines);
            if !send(written.into()) || !more {
                return Ok(());
            }
            written = Vec::new();
            after = last;
        }
    })
    .await
}
