//! Whole exports written from lines stored with each item (the startups' and the metrics'):
//! read a chunk of ids in order, each with its stored line or none, write the stored ones as
//! they are and the others rendered from their rows, and stream the chunks
//! ([`crate::db::line_chunks`]).

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::web::Bytes;
use diesel::{Connection, QueryResult};
use serde::Serialize;

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::shape::formats::{CsvRecord, Format, encode, stream};
use crate::db::DbConnection;
use crate::db::line_chunks::{EndedChunk, LineChunk};
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

/// Items of a chunk read per statement. A chunk's lines are written as they come, so its size
/// bounds only what is kept in memory when an item in it has no stored line, and how often a
/// statement starts: at 1,000 items a chunk, each of the hundred statements of 100,000
/// startups had PostgreSQL wait for the writer and the writer wait for PostgreSQL.
pub const CHUNK_ITEMS: i64 = 10_000;

/// Bytes of lines sent at a time.
const SEND_BYTES: usize = 256 * 1024;

/// A whole export written from the lines stored with each item.
pub trait StoredLines: Send + 'static {
    /// An item rendered from its rows.
    type Rendered;

    /// Hands `each` up to `limit` items after the key `after` (from the first when empty), in
    /// key order, each with its stored line or `None`, as the rows arrive, on the caller's
    /// snapshot.
    fn read(
        &self,
        conn: &mut DbConnection,
        after: &str,
        limit: i64,
        each: &mut dyn FnMut(String, Option<String>),
    ) -> QueryResult<()>;

    /// The items `ids`, rendered from their rows: those of them that still exist.
    fn render(&self, conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Self::Rendered>>;

    /// The key of an item rendered.
    fn key(rendered: &Self::Rendered) -> &str;

    /// The lines of an item rendered, in this export.
    fn line(&self, rendered: &Self::Rendered) -> Result<String, ApiError>;
}

/// The end of a chunk written: its lines ready, then each kept item's, a stored line as it is
/// and any other as `lines` writes it; nothing for an item `lines` does not find (a stale id
/// whose item is gone).
fn written(
    chunk: EndedChunk,
    mut lines: impl FnMut(&str) -> Result<Option<String>, ApiError>,
) -> Result<Vec<u8>, ApiError> {
    let mut out = chunk.ready;
    for (id, stored) in &chunk.kept {
        match stored {
            Some(line) => out.extend_from_slice(line.as_bytes()),
            None => {
                if let Some(line) = lines(id)? {
                    out.extend_from_slice(line.as_bytes());
                }
            }
        }
    }
    Ok(out)
}

/// Streams a whole export of `source` in `format`: `head`, then the items, a chunk of
/// [`CHUNK_ITEMS`] after another, each chunk's lines sent as they are read.
pub async fn respond<S: StoredLines>(
    state: &AppState,
    format: Format,
    head: Vec<u8>,
    source: S,
) -> Result<HttpResponse, ApiError> {
    stream(state, format, move |conn, send| {
        if send(head.into()) {
            write_items(conn, &source, CHUNK_ITEMS, send)?;
        }
        Ok(())
    })
    .await
}

/// Sends every item of `source`, in key order, a chunk of `chunk_items` after another, until
/// `send` says the reader is gone.
fn write_items<S: StoredLines>(
    conn: &mut DbConnection,
    source: &S,
    chunk_items: i64,
    send: &mut dyn FnMut(Bytes) -> bool,
) -> Result<(), ApiError> {
    let mut after = String::new();
    loop {
        let mut chunk = LineChunk::default();
        let mut gone = false;
        let read = crate::db::read_snapshot(conn, |conn| {
            source.read(conn, &after, chunk_items, &mut |id, line| {
                // Once the reader has gone, the statement's last rows are only drained.
                if gone {
                    return;
                }
                chunk.push(id, line);
                if chunk.ready_len() >= SEND_BYTES {
                    gone = !send(chunk.take_ready().into());
                }
            })?;
            if gone {
                return Ok(None);
            }
            let ended = std::mem::take(&mut chunk).end(chunk_items);
            let rendered: HashMap<String, S::Rendered> = (source.render(conn, &ended.missing())?)
                .into_iter()
                .map(|item| (S::key(&item).to_owned(), item))
                .collect();
            Ok(Some((ended, rendered)))
        })?;
        let Some((ended, mut rendered)) = read else {
            return Ok(());
        };
        let next_after = ended.next_after.clone();
        let lines = written(ended, |id| {
            (rendered.remove(id))
                .map(|item| source.line(&item))
                .transpose()
        })?;
        if !send(lines.into()) {
            return Ok(());
        }
        match next_after {
            Some(next) => after = next,
            None => return Ok(()),
        }
    }
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use diesel::{Connection, SqliteConnection};

    use super::*;

    /// Items kept in memory, as the two tables of an export would hold them.
    #[derive(Default)]
    struct Items {
        /// Stored lines, by key.
        lines: BTreeMap<String, String>,
        /// Stale keys.
        stale: BTreeSet<String>,
        /// The items rendered from their rows, by key: those that exist.
        rows: HashMap<String, String>,
        /// Statements read.
        reads: std::cell::Cell<usize>,
        /// Chunks rendered.
        renders: std::cell::Cell<usize>,
    }

    impl StoredLines for Items {
        /// Its key and its line.
        type Rendered = (String, String);

        fn read(
            &self,
            _: &mut DbConnection,
            after: &str,
            limit: i64,
            each: &mut dyn FnMut(String, Option<String>),
        ) -> QueryResult<()> {
            self.reads.set(self.reads.get() + 1);
            let mut rows: Vec<(String, Option<String>)> = (self.lines.iter())
                .map(|(id, line)| (id.clone(), Some(line.clone())))
                .chain(self.stale.iter().map(|id| (id.clone(), None)))
                .filter(|(id, _)| id.as_str() > after)
                .collect();
            // Stale first: the order of two rows of one key is the database's to choose.
            rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.is_some().cmp(&b.1.is_some())));
            let limit = usize::try_from(limit).expect("a limit");
            rows.into_iter()
                .take(limit)
                .for_each(|(id, line)| each(id, line));
            Ok(())
        }

        fn render(&self, _: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Self::Rendered>> {
            self.renders.set(self.renders.get() + 1);
            Ok(ids
                .iter()
                .filter_map(|id| self.rows.get(id).map(|row| (id.clone(), row.clone())))
                .collect())
        }

        fn key(rendered: &Self::Rendered) -> &str {
            &rendered.0
        }

        fn line(&self, rendered: &Self::Rendered) -> Result<String, ApiError> {
            Ok(rendered.1.clone())
        }
    }

    fn connection() -> DbConnection {
        DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("SQLite"))
    }

    /// What `items` sends, chunk by chunk, until the reader goes after `sends` chunks.
    fn sent(items: &Items, chunk_items: i64, sends: usize) -> Vec<String> {
        let mut chunks = Vec::new();
        let mut send = |bytes: Bytes| {
            chunks.push(String::from_utf8(bytes.to_vec()).expect("UTF-8"));
            chunks.len() < sends
        };
        write_items(&mut connection(), items, chunk_items, &mut send).expect("written");
        chunks
    }

    fn items() -> Items {
        let mut items = Items::default();
        for id in ["a", "b", "d", "e", "g", "h"] {
            items.lines.insert(id.to_owned(), format!("{id}\n"));
        }
        // c and f are stale without lines, e is stale with its lines, z is stale and gone.
        for id in ["c", "e", "f", "z"] {
            items.stale.insert(id.to_owned());
        }
        for id in ["c", "f"] {
            items.rows.insert(id.to_owned(), format!("{id} rendered\n"));
        }
        // A stale item with lines exists, and its rows say what its lines say: it is rendered
        // when a chunk ends between its two rows.
        items.rows.insert("e".to_owned(), "e\n".to_owned());
        items
    }

    #[test]
    fn items_come_in_key_order_across_chunks_rendered_where_missing() {
        let items = items();
        let whole = "a\nb\nc rendered\nd\ne\nf rendered\ng\nh\n";
        for chunk_items in [1, 2, 3, 4, 100] {
            let sent = sent(&items, chunk_items, usize::MAX);
            assert_eq!(sent.concat(), whole, "{chunk_items} a chunk");
        }
        items.reads.set(0);
        let sent = sent(&items, 4, usize::MAX);
        // Four rows a chunk: a b c d, e (stale) e f g, h z (stale and gone).
        assert_eq!(sent, ["a\nb\nc rendered\nd\n", "e\nf rendered\ng\n", "h\n"]);
        assert_eq!(items.reads.get(), 3, "a short chunk is the last");
    }

    #[test]
    fn long_lines_are_sent_as_they_come_and_the_reader_going_stops_the_export() {
        let mut items = Items::default();
        let long = "x".repeat(SEND_BYTES);
        for id in ["a", "b", "c"] {
            items.lines.insert(id.to_owned(), format!("{id}{long}"));
        }
        let sent = sent(&items, 10, usize::MAX);
        let sizes: Vec<usize> = sent.iter().map(String::len).collect();
        assert_eq!(sizes, [SEND_BYTES + 1, SEND_BYTES + 1, SEND_BYTES + 1]);
        items.reads.set(0);
        assert_eq!(self::sent(&items, 1, 1).len(), 1);
        assert_eq!(
            items.reads.get(),
            1,
            "no chunk is read once the reader has gone"
        );
        // The reader goes at the chunk's first line: its other rows are drained, neither kept
        // (a chunk's rows were, and 32 downloads cut short held 140 MB) nor rendered.
        items.reads.set(0);
        items.renders.set(0);
        assert_eq!(self::sent(&items, 10, 1).len(), 1);
        assert_eq!((items.reads.get(), items.renders.get()), (1, 0));
        assert_eq!(self::sent(&items, 10, usize::MAX).len(), 3);
        assert_eq!(items.renders.get(), 1);
    }
}
