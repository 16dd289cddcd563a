//! Whole exports written from lines stored with each item (the startups' and the metrics'):
//! read a chunk of ids in order, each with its stored line or none, write the stored ones as
//! they are and the others rendered from their rows, and stream the chunks.

use actix_web::HttpResponse;
use diesel::{Connection, QueryResult};
use serde::Serialize;

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::shape::formats::{CsvRecord, Format, encode, stream};
use crate::db::DbConnection;
use crate::db::line_chunks::LineChunk;
use crate::db::revision::Revision;

/// `items` written as lines of `format`, as a page of their export writes them: the lines an
/// item is stored with.
pub fn line<T: Serialize + CsvRecord>(format: Format, items: &[T]) -> Result<String, ApiError> {
    let bytes = encode(format, items, false)?;
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::Internal(format!("an export line is not UTF-8: {e}")))
}

/// A line that could not be written, as the error of the transaction that stores it.
pub fn unwritable(error: ApiError) -> diesel::result::Error {
    diesel::result::Error::SerializationError(error.to_string().into())
}

/// A chunk written: a stored line as it is, any other as `rendered` writes it; nothing for an
/// item `rendered` no longer finds (deleted between a chunk's statements, on a backend without
/// a read snapshot).
pub fn written(
    chunk: &LineChunk,
    mut rendered: impl FnMut(&str) -> Result<Option<String>, ApiError>,
) -> Result<Vec<u8>, ApiError> {
    let capacity = chunk
        .lines
        .iter()
        .map(|(_, line)| line.as_ref().map_or(400, String::len))
        .sum();
    let mut out = Vec::with_capacity(capacity);
    for (id, stored) in &chunk.lines {
        match stored {
            Some(line) => out.extend_from_slice(line.as_bytes()),
            None => {
                if let Some(line) = rendered(id)? {
                    out.extend_from_slice(line.as_bytes());
                }
            }
        }
    }
    Ok(out)
}

/// Streams a whole export in `format`: `head`, then what `next` writes of each chunk of
/// [`CHUNK_ROWS`](crate::api::shape::formats::CHUNK_ROWS) items after the last one written,
/// until a chunk says none may follow.
pub async fn respond<F>(
    state: &AppState,
    format: Format,
    head: Vec<u8>,
    mut next: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnMut(&mut DbConnection, Option<&str>) -> Result<(Vec<u8>, LineChunk), ApiError>
        + Send
        + 'static,
{
    stream(state, format, move |conn, send| {
        let mut written = head;
        let mut after: Option<String> = None;
        loop {
            let (lines, chunk) = next(conn, after.as_deref())?;
            written.extend_from_slice(&lines);
            after = chunk.next_after().map(str::to_owned);
            if !send(written.into()) || after.is_none() {
                return Ok(());
            }
            written = Vec::new();
        }
    })
    .await
}

/// Runs `batch`, which renders the lines of some stale items and says how many it took, until
/// it takes none, in the caller's transaction; returns how many it took in all.
pub fn refresh(
    conn: &mut DbConnection,
    batch: fn(&mut DbConnection) -> QueryResult<usize>,
) -> QueryResult<usize> {
    let mut taken = 0;
    loop {
        match batch(conn)? {
            0 => return Ok(taken),
            n => taken += n,
        }
    }
}

/// [`refresh`] with a transaction for each batch, for a database opened to serve (lines left
/// stale by a migration, or by a writer older than them): another writer waits for one batch
/// at most. Each batch first takes the writers' lock, so that servers starting together on one
/// database render each stale item once, rather than one failing on the lines another wrote
/// meanwhile.
pub fn refresh_in_batches(
    conn: &mut DbConnection,
    batch: fn(&mut DbConnection) -> QueryResult<usize>,
) -> QueryResult<usize> {
    let mut taken = 0;
    loop {
        let taking = conn.transaction(|conn| {
            Revision::lock(conn)?;
            batch(conn)
        });
        match taking? {
            0 => return Ok(taken),
            n => taken += n,
        }
    }
}
