//! A chunk of a whole export, read from stored lines without joining the items they belong to.
//!
//! Each stored item (a startup, a metric) is, in any snapshot, either named stale or stored
//! with its lines: the triggers that forget an item's lines name it stale in the same
//! statement, and the writer that stores its lines again takes it off the stale list in the
//! same transaction. So the items of a chunk are the stored lines and the stale ids, merged in
//! key order: one statement, `lines UNION ALL stale ORDER BY 1 LIMIT n`, which both backends
//! run as a merge of two index scans that stops after `n` rows. It reads the lines alone
//! where a join to the items' table read their keys too (40 % of PostgreSQL's time on the
//! phase history of 100,000 startups).
//!
//! An item may be stale and still have lines (a write to a row that only its stored item
//! shows names it stale and leaves its lines): its stored line is written, as the join did. A
//! stale id whose item is gone comes with no line, and rendering finds nothing to write.

/// A chunk of a whole export: ids in key order, each with its stored line, `None` when it has
/// none that holds (it is rendered from its rows); and whether items may follow its last.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LineChunk {
    pub lines: Vec<(String, Option<String>)>,
    pub more: bool,
}

impl LineChunk {
    /// The chunk of `rows`, the first `limit` of the stored lines and the stale ids merged in
    /// key order: an id that came twice (stale, and with lines) keeps its line.
    pub fn merged(rows: Vec<(String, Option<String>)>, limit: i64) -> LineChunk {
        let more = i64::try_from(rows.len()).is_ok_and(|read| read >= limit);
        let mut lines: Vec<(String, Option<String>)> = Vec::with_capacity(rows.len());
        for (id, line) in rows {
            match lines.last_mut() {
                Some((last, kept)) if *last == id => {
                    if kept.is_none() {
                        *kept = line;
                    }
                }
                _ => lines.push((id, line)),
            }
        }
        LineChunk { lines, more }
    }

    /// The ids of its items without a stored line.
    pub fn missing(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|(_, line)| line.is_none())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The key the next chunk starts after, when items may follow.
    pub fn next_after(&self) -> Option<&str> {
        match self.more {
            true => self.lines.last().map(|(id, _)| id.as_str()),
            false => None,
        }
    }
}

/// The first `$limit` rows after the key `$after` of `$lines` (stored lines, each selected as
/// `(key, line)`, `$key` their key) and of the stale keys of `$stale_table` (`$stale_key`,
/// each with no line), merged in key order, as [`LineChunk::merged`] wants them. PostgreSQL
/// merges the two scans only when each is ordered and limited on its own, which SQLite does
/// not accept in a compound statement (it merges them as they are). Each backend's own
/// connection runs it: diesel's connection over both knows no compound statements.
macro_rules! merged_in_key_order {
    (
        $conn:expr, $lines:expr, $key:expr,
        $stale_table:expr, $stale_key:expr, $after:expr, $limit:expr
    ) => {{
        use diesel::query_dsl::positional_order_dsl::PositionalOrderDsl;
        let (after, limit): (&str, i64) = ($after, $limit);
        let lines = $lines.filter($key.gt(after));
        let no_line = diesel::IntoSql::into_sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Text>,
        >(None::<String>);
        let stale = $stale_table
            .filter($stale_key.gt(after))
            .select(($stale_key, no_line));
        let rows: diesel::QueryResult<Vec<(String, Option<String>)>> = match $conn {
            $crate::db::DbConnection::Sqlite(c) => lines
                .union_all(stale)
                .positional_order_by(1)
                .limit(limit)
                .load(c),
            $crate::db::DbConnection::Postgres(c) => lines
                .order($key)
                .limit(limit)
                .union_all(stale.order($stale_key).limit(limit))
                .positional_order_by(1)
                .limit(limit)
                .load(c),
        };
        rows.map(|rows| $crate::db::line_chunks::LineChunk::merged(rows, limit))
    }};
}
pub(crate) use merged_in_key_order;

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, line: Option<&str>) -> (String, Option<String>) {
        (id.to_owned(), line.map(str::to_owned))
    }

    #[test]
    fn an_id_both_stale_and_stored_keeps_its_line() {
        let rows = vec![
            row("a", Some("A")),
            row("b", None),
            row("b", Some("B")),
            row("c", Some("C")),
            row("c", None),
            row("d", None),
        ];
        let chunk = LineChunk::merged(rows, 10);
        assert_eq!(
            chunk.lines,
            vec![
                row("a", Some("A")),
                row("b", Some("B")),
                row("c", Some("C")),
                row("d", None)
            ]
        );
        assert_eq!(chunk.missing(), vec!["d".to_owned()]);
        assert!(!chunk.more);
        assert_eq!(chunk.next_after(), None);
    }

    #[test]
    fn a_full_chunk_says_more_may_follow_even_when_merged_shorter() {
        let rows = vec![row("a", None), row("a", Some("A")), row("b", Some("B"))];
        let chunk = LineChunk::merged(rows, 3);
        assert_eq!(chunk.lines.len(), 2);
        assert!(chunk.more);
        assert_eq!(chunk.next_after(), Some("b"));
        let short = LineChunk::merged(vec![row("a", Some("A"))], 3);
        assert!(!short.more);
        assert_eq!(LineChunk::merged(Vec::new(), 3), LineChunk::default());
    }
}
