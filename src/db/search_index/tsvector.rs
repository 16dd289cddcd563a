//! PostgreSQL's side of the search index: each startup's search vector (`startups.search`)
//! read once, and each search then ranked by [`crate::domain::ts_rank`], which computes what
//! `ts_rank()` computes, to the bit.
//!
//! PostgreSQL finds the hits in its GIN index, but ranking each reads the hit's search vector
//! from its row: thousands of rows when a word is common. Here the vectors' positions are held
//! by lexeme. The query itself is still PostgreSQL's: each search asks it for the `tsquery`
//! of the words (unaccented, lowercased and split by its parser), and a query that is not
//! plain operands joined by `&` is ranked by PostgreSQL.

use std::collections::HashMap;

use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::Text;

use std::sync::Arc;

use super::{BuildError, Hits, StartupIds, generation_query, term_range};
use crate::db::DbConnection;
use crate::db::ranked::Ranked;
use crate::db::startup_list;
use crate::domain::search::Word;
use crate::domain::ts_rank;

/// One search generation of the startups' search vectors, in memory.
#[derive(Debug)]
pub struct TsVectorIndex {
    generation: i64,
    /// The lexemes, sorted by their bytes as PostgreSQL sorts them.
    terms: Vec<Box<str>>,
    /// Where the postings of `terms[i]` are: `starts[i]..starts[i + 1]`.
    starts: Vec<u32>,
    /// For each posting, the startup holding the lexeme (an index into `ids`)…
    posting_rows: Vec<u32>,
    /// …and where its positions end in `positions` (they start where the previous end).
    posting_ends: Vec<u32>,
    /// Every posting's positions, as PostgreSQL stores them (weight class in the top 2 bits).
    positions: Vec<u16>,
    /// The startups' ids, in their bytes' order.
    ids: Arc<StartupIds>,
}

/// The search vectors as they are read, startup after startup: each lexeme known by the
/// number it was first seen under, each posting with its lexeme, its startup and its positions.
#[derive(Default)]
struct Vectors {
    lexemes: HashMap<Box<str>, u32>,
    terms: Vec<u32>,
    /// Where each startup's postings end in `terms`.
    row_ends: Vec<u32>,
    /// Where each posting's positions end in `positions`.
    ends: Vec<u32>,
    positions: Vec<u16>,
    ids: Vec<Box<str>>,
}

impl Vectors {
    /// Room for `postings` postings, each of one position or more.
    fn with_capacity(postings: usize) -> Self {
        Self {
            terms: Vec::with_capacity(postings),
            ends: Vec::with_capacity(postings),
            positions: Vec::with_capacity(postings),
            ..Self::default()
        }
    }

    /// Adds startup `id`, of search vector `vector` (its text).
    fn add(&mut self, id: String, vector: &str) -> Result<(), String> {
        for (lexeme, positions) in parse_tsvector(vector)? {
            let next = u32::try_from(self.lexemes.len()).map_err(|_| "2^32 lexemes")?;
            let term = *self.lexemes.entry(lexeme.into_boxed_str()).or_insert(next);
            self.terms.push(term);
            self.positions.extend(positions);
            let end = u32::try_from(self.positions.len()).map_err(|_| "2^32 positions")?;
            self.ends.push(end);
        }
        let end = u32::try_from(self.terms.len()).map_err(|_| "2^32 postings")?;
        self.row_ends.push(end);
        self.ids.push(id.into_boxed_str());
        Ok(())
    }
}

impl TsVectorIndex {
    /// Reads the search vectors of the current search generation, in one repeatable-read
    /// transaction.
    pub fn read(conn: &mut PgConnection) -> Result<Self, BuildError> {
        #[derive(QueryableByName)]
        struct Vector {
            #[diesel(sql_type = Text)]
            id: String,
            #[diesel(sql_type = Text)]
            search: String,
        }
        conn.build_transaction()
            .repeatable_read()
            .read_only()
            .run(|conn| {
                let generation = generation_query().first::<i64>(conn)?;
                // A tsvector's length is its lexemes' count: the postings to make room for.
                let postings: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                    "(SELECT coalesce(sum(length(search)), 0)::bigint FROM startups)",
                ))
                .get_result(conn)?;
                let mut vectors = Vectors::with_capacity(usize::try_from(postings).unwrap_or(0));
                let rows = diesel::sql_query(
                    "SELECT id, search::text AS search FROM startups ORDER BY id COLLATE \"C\"",
                )
                .load_iter::<Vector, PgRowByRowLoadingMode>(conn)?;
                for vector in rows {
                    let Vector { id, search } = vector?;
                    vectors.add(id.clone(), &search).map_err(|e| {
                        BuildError::Unexpected(format!("the search vector of {id}: {e}"))
                    })?;
                }
                Self::of(generation, vectors)
            })
    }

    /// The index of `vectors`, its postings laid out by lexeme, in the lexemes' order: a
    /// counting sort, so that the postings are held twice at most while it runs.
    fn of(generation: i64, vectors: Vectors) -> Result<Self, BuildError> {
        let Vectors {
            lexemes,
            terms,
            row_ends,
            ends,
            positions,
            ids,
        } = vectors;
        let mut names: Vec<(Box<str>, u32)> = lexemes.into_iter().collect();
        names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut place = vec![0usize; names.len()];
        for (i, (_, number)) in names.iter().enumerate() {
            place[*number as usize] = i;
        }
        let start_of = |i: usize| if i == 0 { 0 } else { ends[i - 1] as usize };
        // How many postings, and positions, each lexeme has; then where each begins.
        let mut starts = vec![0u32; names.len() + 1];
        let mut position_starts = vec![0usize; names.len() + 1];
        for (i, &term) in terms.iter().enumerate() {
            starts[place[term as usize] + 1] += 1;
            position_starts[place[term as usize] + 1] += ends[i] as usize - start_of(i);
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
            position_starts[i] += position_starts[i - 1];
        }
        let mut next: Vec<usize> = starts.iter().map(|&s| s as usize).collect();
        let mut next_position = position_starts;
        let mut posting_rows = vec![0u32; terms.len()];
        let mut posting_ends = vec![0u32; terms.len()];
        let mut laid_out = vec![0u16; positions.len()];
        // In reading order, each lexeme's postings come by startup, ascending.
        let mut row = 0;
        for (i, &term) in terms.iter().enumerate() {
            while row_ends[row] as usize <= i {
                row += 1;
            }
            let term = place[term as usize];
            let slot = next[term];
            next[term] += 1;
            let source = &positions[start_of(i)..ends[i] as usize];
            let at = next_position[term];
            laid_out[at..at + source.len()].copy_from_slice(source);
            next_position[term] += source.len();
            posting_rows[slot] = row as u32;
            posting_ends[slot] = next_position[term] as u32;
        }
        Ok(Self {
            generation,
            terms: names.into_iter().map(|(name, _)| name).collect(),
            starts,
            posting_rows,
            posting_ends,
            positions: laid_out,
            ids: Arc::new(StartupIds::sorted(ids)?),
        })
    }

    pub(super) fn generation(&self) -> i64 {
        self.generation
    }

    pub(super) fn postings(&self) -> usize {
        self.posting_rows.len()
    }

    /// The positions of posting `i`.
    fn positions_of(&self, i: usize) -> &[u16] {
        let start = match i {
            0 => 0,
            _ => self.posting_ends[i - 1] as usize,
        };
        &self.positions[start..self.posting_ends[i] as usize]
    }

    /// Every startup matching all `words`, with its rank as `-ts_rank()` gives it, keyed by id,
    /// in no order; `None` when PostgreSQL's query of the words is not plain operands joined
    /// by `&`, or names a lexeme twice as a prefix and as a whole word.
    pub(super) fn hits(
        &self,
        conn: &mut DbConnection,
        words: &[Word],
    ) -> QueryResult<Option<Hits>> {
        let query = match startup_list::plain_tsquery(words) {
            Some(query) => query,
            None => startup_list::tsquery_text(conn, words)?,
        };
        Ok(parse_tsquery(&query)
            .and_then(|operands| self.ranked(&operands))
            .map(|hits| Hits::Indexed {
                hits,
                ids: Arc::clone(&self.ids),
            }))
    }

    fn ranked(&self, operands: &[(String, bool)]) -> Option<Vec<Ranked<u32>>> {
        let all_of = operands.len() >= 2;
        // PostgreSQL ranks each distinct lexeme once, in byte order.
        let mut items: Vec<&(String, bool)> = operands.iter().collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.dedup_by(|later, kept| later.0 == kept.0 && later.1 == kept.1);
        if items.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return None;
        }
        if items.is_empty() {
            return Some(Vec::new());
        }
        let ranges: Vec<_> = items
            .iter()
            .map(|(term, prefix)| term_range(&self.terms, term, *prefix))
            .collect();
        let postings = |term: usize| self.starts[term] as usize..self.starts[term + 1] as usize;
        // One operand matching one lexeme (a word, or a prefix that only one word begins): each
        // posting is a hit, ranked from its own positions.
        if let [range] = &ranges[..]
            && range.len() == 1
        {
            let ranked = postings(range.start).map(|i| Ranked {
                key: self.posting_rows[i],
                rank: -f64::from(ts_rank::rank_of_lexeme(self.positions_of(i))),
            });
            return Some(ranked.collect());
        }
        // The rows of each item, then those of all: the hits.
        let rows_of = |range: &std::ops::Range<usize>| -> Vec<u32> {
            let mut rows: Vec<u32> = range
                .clone()
                .flat_map(|term| self.posting_rows[postings(term)].iter().copied())
                .collect();
            if range.len() > 1 {
                rows.sort_unstable();
                rows.dedup();
            }
            rows
        };
        let mut hits = rows_of(&ranges[0]);
        for range in &ranges[1..] {
            let rows = rows_of(range);
            let mut at = 0;
            hits.retain(|row| {
                while at < rows.len() && rows[at] < *row {
                    at += 1;
                }
                rows.get(at) == Some(row)
            });
        }
        // Each hit's positions, item by item, lexeme by lexeme: a cursor per lexeme, since the
        // hits come in row order.
        let terms: Vec<usize> = ranges.iter().flat_map(|r| r.clone()).collect();
        let mut cursors: Vec<usize> = terms.iter().map(|&term| postings(term).start).collect();
        let mut ranked = Vec::with_capacity(hits.len());
        let mut items: Vec<Vec<&[u16]>> = vec![Vec::new(); ranges.len()];
        for row in hits {
            let mut cursor = 0;
            for (range, entries) in ranges.iter().zip(&mut items) {
                entries.clear();
                for term in range.clone() {
                    let end = postings(term).end;
                    let at = &mut cursors[cursor];
                    while *at < end && self.posting_rows[*at] < row {
                        *at += 1;
                    }
                    if *at < end && self.posting_rows[*at] == row {
                        entries.push(self.positions_of(*at));
                    }
                    cursor += 1;
                }
            }
            let rank = ts_rank::ts_rank(&items, all_of);
            ranked.push(Ranked {
                key: row,
                rank: -f64::from(rank),
            });
        }
        Some(ranked)
    }
}

/// Reads a quoted lexeme at the start of `text`, as PostgreSQL writes it (`'` and `\` doubled):
/// the lexeme and the rest of the text.
fn quoted(text: &str) -> Option<(String, &str)> {
    let mut rest = text.strip_prefix('\'')?;
    let mut lexeme = String::new();
    loop {
        let at = rest.find(['\'', '\\'])?;
        lexeme.push_str(&rest[..at]);
        let (mark, after) = rest[at..].split_at(1);
        match after.strip_prefix(mark) {
            Some(after) => {
                lexeme.push_str(mark);
                rest = after;
            }
            None if mark == "'" => return Some((lexeme, after)),
            None => return None,
        }
    }
}

/// The lexemes of a tsvector's text and their positions, each as PostgreSQL stores it: the
/// position in the low 14 bits, the weight class in the top two (`A` 3, `B` 2, `C` 1, none 0).
fn parse_tsvector(text: &str) -> Result<Vec<(String, Vec<u16>)>, String> {
    let mut lexemes = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (lexeme, after) = quoted(rest).ok_or_else(|| format!("a lexeme at `{rest:.20}`"))?;
        let after = after
            .strip_prefix(':')
            .ok_or_else(|| format!("`{lexeme}` without positions"))?;
        let end = after.find(' ').unwrap_or(after.len());
        let mut positions = Vec::new();
        for position in after[..end].split(',') {
            let (digits, class) = match position.as_bytes().last() {
                Some(b'A') => (&position[..position.len() - 1], 3),
                Some(b'B') => (&position[..position.len() - 1], 2),
                Some(b'C') => (&position[..position.len() - 1], 1),
                _ => (position, 0),
            };
            let place: u16 = digits
                .parse()
                .ok()
                .filter(|p| *p < 1 << 14)
                .ok_or_else(|| format!("position `{position}` of `{lexeme}`"))?;
            positions.push(class << 14 | place);
        }
        lexemes.push((lexeme, positions));
        rest = after[end..].strip_prefix(' ').unwrap_or(&after[end..]);
    }
    Ok(lexemes)
}

/// The operands of a tsquery's text made only of operands joined by `&`: each lexeme, and
/// whether it is a prefix (`:*`). `None` for any other query.
fn parse_tsquery(text: &str) -> Option<Vec<(String, bool)>> {
    let mut operands = Vec::new();
    let mut rest = text;
    if rest.is_empty() {
        return Some(operands);
    }
    loop {
        let (lexeme, after) = quoted(rest)?;
        let (prefix, after) = match after.strip_prefix(":*") {
            Some(after) => (true, after),
            None => (false, after),
        };
        operands.push((lexeme, prefix));
        if after.is_empty() {
            return Some(operands);
        }
        rest = after.strip_prefix(" & ")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u16 = 3 << 14;
    const B: u16 = 2 << 14;

    #[test]
    fn a_tsvector_reads_as_postgresql_writes_it() {
        let text = r"'d''abord':3B 'emploi':1A,7 'l\\e':16383 'santé':2B,9A";
        assert_eq!(
            parse_tsvector(text).unwrap(),
            [
                ("d'abord".to_owned(), vec![B | 3]),
                ("emploi".to_owned(), vec![A | 1, 7]),
                (r"l\e".to_owned(), vec![16383]),
                ("santé".to_owned(), vec![B | 2, A | 9]),
            ]
        );
        assert_eq!(parse_tsvector("").unwrap(), []);
        assert!(parse_tsvector("'emploi'").is_err(), "without positions");
        assert!(parse_tsvector("'emploi':16384").is_err());
        assert!(parse_tsvector("'emploi:1").is_err());
    }

    #[test]
    fn only_operands_joined_by_and_are_read() {
        assert_eq!(
            parse_tsquery("'emploi':* & 'ma' & 'd''abord':*"),
            Some(vec![
                ("emploi".to_owned(), true),
                ("ma".to_owned(), false),
                ("d'abord".to_owned(), true),
            ])
        );
        assert_eq!(parse_tsquery(""), Some(vec![]));
        assert_eq!(parse_tsquery("'a' <-> 'b'"), None);
        assert_eq!(parse_tsquery("'a' | 'b'"), None);
        assert_eq!(parse_tsquery("'a':*A"), None);
        assert_eq!(parse_tsquery("( 'a' & 'b' ) & 'c'"), None);
    }

    fn index(vectors: &[(&str, &str)]) -> TsVectorIndex {
        let mut read = Vectors::default();
        for (id, vector) in vectors {
            read.add(id.to_string(), vector).unwrap();
        }
        TsVectorIndex::of(1, read).unwrap()
    }

    fn ranks(index: &TsVectorIndex, operands: &[(&str, bool)]) -> Option<Vec<(String, f64)>> {
        let operands: Vec<(String, bool)> =
            operands.iter().map(|(t, p)| (t.to_string(), *p)).collect();
        let mut hits: Vec<(String, f64)> = index
            .ranked(&operands)?
            .into_iter()
            .map(|h| (index.ids.id(h.key).to_owned(), h.rank))
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0));
        Some(hits)
    }

    #[test]
    fn hits_hold_every_operand_and_rank_as_ts_rank() {
        // The figures are PostgreSQL 15's: `SELECT ts_rank(vector, query)::float8`.
        let index = index(&[
            ("a", "'aa':1A 'ab':40A 'b':41A"),
            ("b", "'ab':40A 'b':41A"),
            ("c", "'ab':2A"),
            ("d", "'emploi':3B,7C,9"),
        ]);
        assert_eq!(
            ranks(&index, &[("a", true), ("b", false)]),
            Some(vec![
                ("a".into(), -0.9910321831703186),
                ("b".into(), -0.9910321831703186)
            ])
        );
        assert_eq!(
            ranks(&index, &[("emploi", false)]),
            Some(vec![("d".into(), -0.28032195568084717)])
        );
        assert_eq!(ranks(&index, &[("ab", false), ("zz", true)]), Some(vec![]));
        // The same lexeme twice counts once; as a prefix and as a word, PostgreSQL's choice
        // between them is its sort's: left to it.
        assert_eq!(
            ranks(&index, &[("emploi", false), ("emploi", false)]),
            ranks(&index, &[("emploi", false)])
        );
        assert_eq!(ranks(&index, &[("emploi", false), ("emploi", true)]), None);
    }
}
