//! SQLite's side of the search index: the postings of `startups_search` read once, and each
//! search then ranked by [`crate::domain::bm25`], which computes what FTS5's `bm25()` computes,
//! to the bit.
//!
//! FTS5 ranks a search by calling `bm25()` on each hit, and each call looks up the hit's length
//! in `startups_search_docsize`: one B-tree seek per hit, most of a search's time when a word
//! matches thousands of startups. Here the lengths sit in an array beside the postings.
//!
//! What the index reads is FTS5's own: the terms and where they occur (`fts5vocab`), each row's
//! length (`startups_search_docsize`), the table's row and token counts (its averages record),
//! and how its tokenizer folds each letter a search may hold. A word with a letter outside
//! that table is searched by FTS5.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Text};

use super::{BuildError, generation_query, term_range};
use crate::db::ranked::Ranked;
use crate::domain::bm25;
use crate::domain::search::Word;

/// The tokenizer of `startups_search` (migration `…000002_analyst_queries`), which folds the
/// letters a search may hold the same way.
const TOKENIZER: &str = "unicode61 remove_diacritics 2";

/// The letters whose folding is read from the tokenizer: ASCII and the Latin blocks, where the
/// words of the programme's data and of its users' searches fall.
const FOLDED: std::ops::RangeInclusive<char> = '\u{30}'..='\u{24f}';

/// One search generation of `startups_search`, in memory.
#[derive(Debug)]
pub struct Fts5Index {
    /// The search generation the index was read at.
    generation: i64,
    /// The terms, sorted by their bytes as FTS5 sorts them.
    terms: Vec<Box<str>>,
    /// Where the postings of `terms[i]` are: `starts[i]..starts[i + 1]`.
    starts: Vec<u32>,
    /// For each posting, the row holding the term (an index into `rowids`)…
    posting_rows: Vec<u32>,
    /// …and the weighted count of its instances there ([`bm25::COLUMN_WEIGHTS`]).
    posting_weights: Vec<u32>,
    /// The `rowid` of each row, ascending.
    rowids: Vec<i64>,
    /// The tokens of each row, all columns.
    lengths: Vec<u32>,
    /// The rows and tokens of the table, as its averages record holds them.
    rows: i64,
    tokens: i64,
    /// How the tokenizer folds each letter of [`FOLDED`] that is a token on its own.
    fold: HashMap<char, Box<str>>,
}

impl Fts5Index {
    /// Reads the index of the current search generation, in one read transaction.
    pub fn read(sqlite: &mut SqliteConnection) -> Result<Self, BuildError> {
        let fold = read_fold(sqlite)?;
        sqlite.batch_execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.betadata_search_instances \
             USING fts5vocab(main, startups_search, instance)",
        )?;
        let mut index = sqlite.transaction(|c| read_postings(c, fold))?;
        index.terms.shrink_to_fit();
        index.posting_rows.shrink_to_fit();
        index.posting_weights.shrink_to_fit();
        Ok(index)
    }

    pub(super) fn generation(&self) -> i64 {
        self.generation
    }

    /// The postings held, all terms together.
    pub(super) fn postings(&self) -> usize {
        self.posting_rows.len()
    }

    /// Every row matching all `words`, with its rank as FTS5's `bm25()` gives it, keyed by
    /// `rowid`, in no order; `None` when a word holds a letter the index cannot fold as the
    /// tokenizer would.
    pub fn hits(&self, words: &[Word]) -> Option<Vec<Ranked<i64>>> {
        let mut phrases = Vec::with_capacity(words.len());
        for word in words {
            let term = self.folded(&word.text)?;
            phrases.push(self.matching(&term, word.prefix));
        }
        let idfs: Vec<f64> = phrases
            .iter()
            .map(|rows| bm25::idf(self.rows, rows.len() as i64))
            .collect();
        let average = bm25::average_length(self.tokens, self.rows);
        let Some(shortest) = (0..phrases.len()).min_by_key(|&i| phrases[i].len()) else {
            return Some(Vec::new());
        };
        let mut next = vec![0usize; phrases.len()];
        let mut frequencies = vec![0.0; phrases.len()];
        let mut hits = Vec::with_capacity(phrases[shortest].len());
        'rows: for &(row, _) in &phrases[shortest] {
            for (i, phrase) in phrases.iter().enumerate() {
                let at = &mut next[i];
                while *at < phrase.len() && phrase[*at].0 < row {
                    *at += 1;
                }
                match phrase.get(*at) {
                    Some(&(found, weight)) if found == row => frequencies[i] = f64::from(weight),
                    _ => continue 'rows,
                }
            }
            let length = f64::from(self.lengths[row as usize]);
            hits.push(Ranked {
                key: self.rowids[row as usize],
                rank: bm25::rank(&idfs, &frequencies, length, average),
            });
        }
        Some(hits)
    }

    /// The word as the tokenizer folds it, when it knows each of its letters.
    fn folded(&self, word: &str) -> Option<String> {
        word.chars()
            .map(|c| self.fold.get(&c).map(|f| &**f))
            .collect()
    }

    /// The rows holding `term` (or a term it begins, for a prefix) with their weighted counts,
    /// by row.
    fn matching(&self, term: &str, prefix: bool) -> Vec<(u32, u32)> {
        let range = term_range(&self.terms, term, prefix);
        let postings = |i: usize| {
            let span = self.starts[i] as usize..self.starts[i + 1] as usize;
            self.posting_rows[span.clone()]
                .iter()
                .copied()
                .zip(self.posting_weights[span].iter().copied())
        };
        if range.len() == 1 {
            return postings(range.start).collect();
        }
        let mut rows: Vec<(u32, u32)> = range.flat_map(postings).collect();
        rows.sort_unstable_by_key(|&(row, _)| row);
        rows.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        rows
    }
}

/// How the tokenizer folds each letter of [`FOLDED`] alone: each is written as a row of a
/// temporary FTS5 table, and the letters that make exactly one token are kept.
fn read_fold(conn: &mut SqliteConnection) -> QueryResult<HashMap<char, Box<str>>> {
    #[derive(QueryableByName)]
    struct Folded {
        #[diesel(sql_type = BigInt)]
        doc: i64,
        #[diesel(sql_type = Text)]
        term: String,
    }
    conn.batch_execute(&format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.betadata_fold USING fts5 (c, tokenize = '{TOKENIZER}'); \
         CREATE VIRTUAL TABLE IF NOT EXISTS temp.betadata_fold_instances \
             USING fts5vocab(temp, betadata_fold, instance); \
         DELETE FROM temp.betadata_fold;"
    ))?;
    let letters: Vec<char> = FOLDED.filter(|c| c.is_alphanumeric()).collect();
    let json = serde_json::to_string(&letters.iter().map(char::to_string).collect::<Vec<_>>())
        .expect("strings serialize");
    diesel::sql_query(
        "INSERT INTO temp.betadata_fold (rowid, c) SELECT key + 1, value FROM json_each(?)",
    )
    .bind::<Text, _>(json)
    .execute(conn)?;
    let tokens = diesel::sql_query("SELECT doc, term FROM temp.betadata_fold_instances")
        .load::<Folded>(conn)?;
    conn.batch_execute("DELETE FROM temp.betadata_fold")?;
    let mut count: HashMap<i64, usize> = HashMap::new();
    for token in &tokens {
        *count.entry(token.doc).or_default() += 1;
    }
    Ok(tokens
        .into_iter()
        .filter(|t| count[&t.doc] == 1)
        .filter_map(|t| {
            let letter = *letters.get(usize::try_from(t.doc - 1).ok()?)?;
            Some((letter, t.term.into_boxed_str()))
        })
        .collect())
}

/// The postings, lengths and counts of the current generation; the caller holds a read
/// transaction, so that they are all of the same generation.
fn read_postings(
    conn: &mut SqliteConnection,
    fold: HashMap<char, Box<str>>,
) -> Result<Fts5Index, BuildError> {
    #[derive(QueryableByName)]
    struct Averages {
        #[diesel(sql_type = Binary)]
        block: Vec<u8>,
    }
    #[derive(QueryableByName)]
    struct Docsize {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Binary)]
        sz: Vec<u8>,
    }
    #[derive(QueryableByName)]
    struct Instance {
        #[diesel(sql_type = Text)]
        term: String,
        #[diesel(sql_type = BigInt)]
        doc: i64,
        /// The column's place in the table (`fts5vocab` names it), as in
        /// [`bm25::COLUMN_WEIGHTS`]; `None` for a column it does not know.
        #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
        col: Option<i32>,
    }
    let generation = generation_query().first::<i64>(conn)?;
    let averages = diesel::sql_query("SELECT block FROM startups_search_data WHERE id = 1")
        .load::<Averages>(conn)?;
    let (rows, tokens) = match averages.first() {
        None => (0, 0),
        Some(averages) => {
            let mut values = varints(&averages.block);
            let rows = values
                .next()
                .ok_or_else(|| unexpected("an empty averages record"))?;
            (rows, values.sum())
        }
    };
    let mut rowids = Vec::new();
    let mut lengths = Vec::new();
    for row in diesel::sql_query("SELECT id, sz FROM startups_search_docsize ORDER BY id")
        .load_iter::<Docsize, diesel::connection::DefaultLoadingMode>(conn)?
    {
        let row = row?;
        let length = varints(&row.sz).sum::<i64>();
        rowids.push(row.id);
        lengths.push(u32::try_from(length).map_err(|_| unexpected("a row's length"))?);
    }
    let mut index = Fts5Index {
        generation,
        terms: Vec::new(),
        starts: Vec::new(),
        posting_rows: Vec::new(),
        posting_weights: Vec::new(),
        rowids,
        lengths,
        rows,
        tokens,
        fold,
    };
    // The instances come by term, then row: each (term, row) sums its instances' weights.
    let mut last_doc = i64::MIN;
    for instance in diesel::sql_query(
        "SELECT term, doc, CASE col WHEN 'name' THEN 0 WHEN 'pitch' THEN 1 \
         WHEN 'description' THEN 2 END AS col FROM temp.betadata_search_instances",
    )
    .load_iter::<Instance, diesel::connection::DefaultLoadingMode>(conn)?
    {
        let Instance { term, doc, col } = instance?;
        let weight = col
            .and_then(|col| usize::try_from(col).ok())
            .and_then(|col| bm25::COLUMN_WEIGHTS.get(col))
            .ok_or_else(|| unexpected("an instance's column"))?;
        let new_term = index.terms.last().is_none_or(|last| **last != *term);
        if new_term {
            if index.terms.last().is_some_and(|last| **last > *term) {
                return Err(unexpected("terms out of order"));
            }
            index.terms.push(term.into_boxed_str());
            index.starts.push(postings_len(&index)?);
        } else if doc < last_doc {
            return Err(unexpected("rows out of order"));
        }
        if new_term || doc != last_doc {
            let row = index
                .rowids
                .binary_search(&doc)
                .map_err(|_| unexpected("an instance of a row without a length"))?;
            index.posting_rows.push(row as u32);
            index.posting_weights.push(0);
            last_doc = doc;
        }
        let sum = index.posting_weights.last_mut().expect("pushed above");
        *sum = sum
            .checked_add(*weight as u32)
            .ok_or_else(|| unexpected("a term's count in a row"))?;
    }
    index.starts.push(postings_len(&index)?);
    Ok(index)
}

fn postings_len(index: &Fts5Index) -> Result<u32, BuildError> {
    u32::try_from(index.posting_rows.len()).map_err(|_| unexpected("more than 2^32 postings"))
}

fn unexpected(what: &str) -> BuildError {
    BuildError::Unexpected(format!("startups_search: unexpected {what}"))
}

/// The varints of an FTS5 record, as SQLite writes them (big-endian groups of 7 bits, the
/// high bit set on all but the last; a ninth byte holds 8 bits).
fn varints(bytes: &[u8]) -> impl Iterator<Item = i64> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let mut value: u64 = 0;
        for i in 0..9 {
            let byte = *bytes.get(at)?;
            at += 1;
            if i == 8 {
                value = (value << 8) | u64::from(byte);
                break;
            }
            value = (value << 7) | u64::from(byte & 0x7f);
            if byte & 0x80 == 0 {
                break;
            }
        }
        Some(value as i64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_read_as_sqlite_writes_them() {
        // 100,000 in three bytes, then 0, 127, 128 and a nine-byte value.
        let bytes = [0x86, 0x8d, 0x20, 0x00, 0x7f, 0x81, 0x00];
        assert_eq!(varints(&bytes).collect::<Vec<_>>(), [100_000, 0, 127, 128]);
        let nine = [0xff; 9];
        assert_eq!(varints(&nine).collect::<Vec<_>>(), [-1]);
        assert_eq!(varints(&[]).count(), 0);
    }
}
