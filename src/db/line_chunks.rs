//! A chunk of a whole export, read from stored lines without joining the items they belong to,
//! and written as its rows arrive.
//!
//! Each stored item (a startup, a metric) is, in any snapshot, either named stale or stored
//! with its lines: the triggers that forget an item's lines name it stale in the same
//! statement, and the writer that stores its lines again takes it off the stale list in the
//! same transaction. So the items of a chunk are the stored lines and the stale ids, merged in
//! key order, read on one snapshot ([`crate::db::read_snapshot`]): most often no id after the
//! chunk's first is stale, and the chunk is one index scan of the lines; else one statement,
//! `lines UNION ALL stale ORDER BY 1 LIMIT n`, which both backends run as a merge of two index
//! scans that stops after `n` rows. It reads the lines alone where a join to the items' table
//! read their keys too (40 % of PostgreSQL's time on the phase history of 100,000 startups).
//!
//! The rows are taken one by one as the database sends them (PostgreSQL's row-by-row mode),
//! and the lines of a chunk's first items are sent on while PostgreSQL is still sending the
//! next ones: the statement and the writing of its lines overlap, where reading the whole chunk
//! first left PostgreSQL idle while the chunk was written, and the writer idle while PostgreSQL
//! read the next one (BENCHMARKS.md). From its first item without a line that holds on, a
//! chunk's items are kept until the statement ends: the connection is then free to render
//! those from their rows, and the chunk is written in key order.
//!
//! An item may be stale and still have lines (a write to a row that only its stored item
//! shows names it stale and leaves its lines): its stored line is written, as the join did. A
//! stale id whose item is gone comes with no line, and rendering finds nothing to write.

/// A chunk of a whole export, merged as its rows arrive ([`LineChunk::push`]): the stored
/// lines of its first items, ready to send, and the items kept from the first without one on.
#[derive(Debug, Default)]
pub struct LineChunk {
    /// Rows read.
    read: i64,
    /// The last row read: an id both stale and stored comes twice, side by side, so a row is
    /// merged only once a row of another id has come.
    held: Option<(String, Option<String>)>,
    /// The lines merged so far and not yet taken, all of items before any kept one.
    ready: Vec<u8>,
    /// The items from the first without a line on, each with its line or `None`.
    kept: Vec<(String, Option<String>)>,
}

/// A chunk whose statement has ended.
#[derive(Debug, Default, PartialEq)]
pub struct EndedChunk {
    /// The lines merged and not yet taken.
    pub ready: Vec<u8>,
    /// The items to write after them, in key order, each with its stored line, `None` when it
    /// has none that holds (it is rendered from its rows).
    pub kept: Vec<(String, Option<String>)>,
    /// The key the next chunk starts after, when items may follow.
    pub next_after: Option<String>,
}

impl LineChunk {
    /// Takes the next row of the statement, in key order.
    pub fn push(&mut self, id: String, line: Option<String>) {
        self.read += 1;
        match &mut self.held {
            Some((held, kept)) if *held == id => {
                if kept.is_none() {
                    *kept = line;
                }
            }
            _ => {
                if let Some(row) = self.held.replace((id, line)) {
                    self.merge(row);
                }
            }
        }
    }

    fn merge(&mut self, (id, line): (String, Option<String>)) {
        match line {
            Some(line) if self.kept.is_empty() => self.ready.extend_from_slice(line.as_bytes()),
            line => self.kept.push((id, line)),
        }
    }

    /// How many bytes of lines are ready to send.
    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// Takes the lines ready to send.
    pub fn take_ready(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.ready)
    }

    /// Ends the chunk of a statement limited to `limit` rows: items may follow when it read
    /// that many.
    pub fn end(mut self, limit: i64) -> EndedChunk {
        let last = self.held.take().map(|row| {
            let id = row.0.clone();
            self.merge(row);
            id
        });
        EndedChunk {
            ready: self.ready,
            kept: self.kept,
            next_after: last.filter(|_| self.read >= limit),
        }
    }
}

impl EndedChunk {
    /// The ids of its items without a stored line.
    pub fn missing(&self) -> Vec<String> {
        self.kept
            .iter()
            .filter(|(_, line)| line.is_none())
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// Hands `each` the rows of `rows` as they come.
pub fn each_row(
    mut rows: impl Iterator<Item = diesel::QueryResult<(String, Option<String>)>>,
    each: &mut dyn FnMut(String, Option<String>),
) -> diesel::QueryResult<()> {
    rows.try_for_each(|row| row.map(|(id, line)| each(id, line)))
}

/// Reads the first `$limit` rows after the key `$after` of `$lines` (stored lines, each
/// selected as `(key, line)`, `$key` their key) and of the stale keys of `$stale_table`
/// (`$stale_key`, each with no line), merged in key order, and hands each to `$each` (a
/// `&mut dyn FnMut(String, Option<String>)`) as it arrives, as [`LineChunk::push`] wants
/// them. To be run on one snapshot ([`crate::db::read_snapshot`]).
///
/// Most often no key is stale: the lines are then read alone, in one scan, where the merge
/// took a sixth of PostgreSQL's time on the phase history of 100,000 startups (`pgbench`,
/// BENCHMARKS.md). Else the two
/// are merged by the database: PostgreSQL merges the two scans only when each is ordered and
/// limited on its own, which SQLite does not accept in a compound statement (it merges them
/// as they are). Each backend's own connection runs them: diesel's connection over both
/// knows no compound statements, nor PostgreSQL's rows taken one by one.
macro_rules! merged_in_key_order {
    (
        $conn:expr, $lines:expr, $key:expr,
        $stale_table:expr, $stale_key:expr, $after:expr, $limit:expr, $each:expr
    ) => {{
        use diesel::query_dsl::positional_order_dsl::PositionalOrderDsl;
        use $crate::db::line_chunks::each_row;
        type Row = (String, Option<String>);
        let conn: &mut $crate::db::DbConnection = $conn;
        let (after, limit): (&str, i64) = ($after, $limit);
        let each: &mut dyn FnMut(String, Option<String>) = $each;
        let lines = $lines.filter($key.gt(after));
        let stale = $stale_table.filter($stale_key.gt(after));
        let any_stale: bool = diesel::select(diesel::dsl::exists(stale)).get_result(conn)?;
        let no_line = diesel::IntoSql::into_sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Text>,
        >(None::<String>);
        let stale = $stale_table
            .filter($stale_key.gt(after))
            .select(($stale_key, no_line));
        let lines_alone = lines.order($key).limit(limit);
        match (conn, any_stale) {
            ($crate::db::DbConnection::Sqlite(c), false) => each_row(
                lines_alone.load_iter::<Row, diesel::connection::DefaultLoadingMode>(c)?,
                each,
            ),
            ($crate::db::DbConnection::Sqlite(c), true) => each_row(
                lines
                    .union_all(stale)
                    .positional_order_by(1)
                    .limit(limit)
                    .load_iter::<Row, diesel::connection::DefaultLoadingMode>(c)?,
                each,
            ),
            ($crate::db::DbConnection::Postgres(c), false) => each_row(
                lines_alone.load_iter::<Row, diesel::pg::PgRowByRowLoadingMode>(c)?,
                each,
            ),
            ($crate::db::DbConnection::Postgres(c), true) => each_row(
                lines_alone
                    .union_all(stale.order($stale_key).limit(limit))
                    .positional_order_by(1)
                    .limit(limit)
                    .load_iter::<Row, diesel::pg::PgRowByRowLoadingMode>(c)?,
                each,
            ),
        }
    }};
}
pub(crate) use merged_in_key_order;

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, line: Option<&str>) -> (String, Option<String>) {
        (id.to_owned(), line.map(str::to_owned))
    }

    fn chunk_of(rows: &[(&str, Option<&str>)]) -> LineChunk {
        let mut chunk = LineChunk::default();
        for (id, line) in rows {
            chunk.push((*id).to_owned(), line.map(str::to_owned));
        }
        chunk
    }

    #[test]
    fn an_id_both_stale_and_stored_keeps_its_line() {
        let rows = [
            ("a", Some("A")),
            ("b", None),
            ("b", Some("B")),
            ("c", Some("C")),
            ("c", None),
            ("d", None),
            ("e", Some("E")),
        ];
        let ended = chunk_of(&rows).end(10);
        assert_eq!(ended.ready, b"ABC");
        assert_eq!(ended.kept, vec![row("d", None), row("e", Some("E"))]);
        assert_eq!(ended.missing(), vec!["d".to_owned()]);
        assert_eq!(ended.next_after, None);
    }

    #[test]
    fn lines_are_ready_as_they_come_until_one_is_missing() {
        let mut chunk = chunk_of(&[("a", Some("A")), ("b", Some("B"))]);
        assert_eq!(chunk.ready_len(), 1, "b may come again, stale");
        assert_eq!(chunk.take_ready(), b"A");
        chunk.push("c".to_owned(), None);
        chunk.push("d".to_owned(), Some("D".to_owned()));
        assert_eq!(chunk.take_ready(), b"B");
        chunk.push("e".to_owned(), Some("E".to_owned()));
        assert_eq!(chunk.ready_len(), 0, "d comes after c, which is missing");
        let ended = chunk.end(5);
        assert_eq!(
            ended.kept,
            vec![row("c", None), row("d", Some("D")), row("e", Some("E"))]
        );
        assert_eq!(ended.next_after.as_deref(), Some("e"));
    }

    #[test]
    fn a_full_chunk_says_more_may_follow_even_when_merged_shorter() {
        let ended = chunk_of(&[("a", None), ("a", Some("A")), ("b", Some("B"))]).end(3);
        assert_eq!(ended.ready, b"AB");
        assert_eq!(ended.next_after.as_deref(), Some("b"));
        let short = chunk_of(&[("a", Some("A"))]).end(3);
        assert_eq!(short.next_after, None);
        assert_eq!(LineChunk::default().end(3), EndedChunk::default());
    }
}
