//! The full-text search held in memory: the index of each startup's searched text, read from
//! the database once per *search generation*, and every search then ranked without asking the
//! database to rank it (issue 18, goal 4).
//!
//! Each backend ranks a search by a function called on every hit: SQLite's `bm25()`, which
//! seeks each hit's length in a table of its own, and PostgreSQL's `ts_rank()`, which reads
//! each hit's search vector from the startup's row. When a word matches thousands of
//! startups, that is most of a search's time. Here the hits are ranked from memory by the same
//! arithmetic, to the bit ([`crate::domain::bm25`], [`crate::domain::ts_rank`]): an answer is
//! the same bytes whichever way it was ranked.
//!
//! The search generation is a counter that the triggers of migration
//! `…000021_search_generation` bump in the same transaction as each write that changes what a
//! search reads. A search uses the index only when the database's generation is the one the
//! index was read at; otherwise it is ranked by the database, as before, and a rebuild starts
//! in the background. A write is thus seen by the very next search.

mod fts5;
mod tsvector;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use diesel::dsl::{Find, Select};
use diesel::prelude::*;

pub use self::fts5::Fts5Index;
pub use self::tsvector::TsVectorIndex;
use super::ranked::Ranked;
use super::schema::search_generation;
use super::{DbConnection, DbPool};
use crate::domain::search::Word;

/// What a build read that the database would not have written: the index stays unbuilt.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("{0}")]
    Unexpected(String),
}

/// Every startup matching a search, with its rank (smaller is better), in no order. Hits are
/// known by the key that costs least: SQLite's by `rowid`, as its full-text index knows them
/// (reading the id of each of thousands of hits costs more than ranking them), PostgreSQL's by
/// id, and those of the index on PostgreSQL by their place in its list of ids.
pub enum Hits {
    Rows(Vec<Ranked<i64>>),
    Ids(Vec<Ranked<String>>),
    Indexed {
        hits: Vec<Ranked<u32>>,
        ids: Arc<StartupIds>,
    },
}

impl Hits {
    pub fn len(&self) -> usize {
        match self {
            Hits::Rows(hits) => hits.len(),
            Hits::Ids(hits) => hits.len(),
            Hits::Indexed { hits, .. } => hits.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The search index of one search generation, on either backend.
#[derive(Debug)]
pub enum SearchIndex {
    Fts5(Fts5Index),
    TsVector(TsVectorIndex),
}

impl SearchIndex {
    /// Reads the index of the current search generation, in one read transaction.
    pub fn read(conn: &mut DbConnection) -> Result<Self, BuildError> {
        match conn {
            DbConnection::Sqlite(c) => Fts5Index::read(c).map(Self::Fts5),
            DbConnection::Postgres(c) => TsVectorIndex::read(c).map(Self::TsVector),
        }
    }

    /// The search generation the index was read at.
    pub fn generation(&self) -> i64 {
        match self {
            Self::Fts5(index) => index.generation(),
            Self::TsVector(index) => index.generation(),
        }
    }

    /// The postings held, all terms together.
    pub fn postings(&self) -> usize {
        match self {
            Self::Fts5(index) => index.postings(),
            Self::TsVector(index) => index.postings(),
        }
    }

    /// Every startup matching all `words`, ranked as the database ranks them; `None` when the
    /// index cannot rank this search as the database would (a letter it cannot fold, a word
    /// the database's parser splits): the database ranks it then.
    pub fn hits(&self, conn: &mut DbConnection, words: &[Word]) -> QueryResult<Option<Hits>> {
        match self {
            Self::Fts5(index) => Ok(index.hits(words).map(Hits::Rows)),
            Self::TsVector(index) => index.hits(conn, words),
        }
    }
}

/// The ids of the startups an index holds, in their bytes' order: a hit is known by its place.
#[derive(Debug)]
pub struct StartupIds(Box<[Box<str>]>);

impl StartupIds {
    /// The ids, which must be in their bytes' order.
    fn sorted(ids: Vec<Box<str>>) -> Result<Self, BuildError> {
        match ids.is_sorted() {
            true => Ok(Self(ids.into_boxed_slice())),
            false => Err(BuildError::Unexpected("startup ids out of order".into())),
        }
    }

    pub fn id(&self, row: u32) -> &str {
        &self.0[row as usize]
    }

    pub fn row_of(&self, id: &str) -> Option<u32> {
        self.0
            .binary_search_by(|probe| (**probe).cmp(id))
            .ok()
            .map(|row| row as u32)
    }
}

/// The query of the database's search generation, for either backend's own connection.
fn generation_query() -> Select<Find<search_generation::table, i32>, search_generation::generation>
{
    search_generation::table
        .find(1)
        .select(search_generation::generation)
}

/// The database's search generation, as `conn` sees it now.
pub fn generation(conn: &mut DbConnection) -> QueryResult<i64> {
    generation_query().first(conn)
}

/// Where `term` is in `terms` (sorted by their bytes): the term itself, or with `prefix`
/// every term it begins.
fn term_range(terms: &[Box<str>], term: &str, prefix: bool) -> Range<usize> {
    let first = terms.partition_point(|t| &**t < term);
    let end = match prefix {
        true => first + terms[first..].partition_point(|t| t.starts_with(term)),
        false => first + usize::from(terms.get(first).is_some_and(|t| &**t == term)),
    };
    first..end
}

/// How long after a build that failed the next may start.
const AFTER_A_FAILED_BUILD: Duration = Duration::from_secs(60);

/// The index of the current search generation, when it has been read; rebuilt in the
/// background when a search finds the database at another generation.
pub struct Searcher {
    pool: DbPool,
    current: RwLock<Option<Arc<SearchIndex>>>,
    building: AtomicBool,
    /// When the last build ended, and how long the next must wait after it: as long as the
    /// build took, so that a stream of writes keeps at most half a core rebuilding, and a
    /// minute after a build that failed.
    last_build: Mutex<Option<(Instant, Duration)>>,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let generation = self.index().map(|index| index.generation());
        f.debug_struct("Searcher")
            .field("generation", &generation)
            .finish_non_exhaustive()
    }
}

impl Searcher {
    /// The searcher of `pool`. The index is first read when the first search asks for it: a
    /// server that is never asked a search holds none (at 100,000 startups it takes some 25 MB,
    /// and 50 to 60 MB more while it is read).
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self {
            pool,
            current: RwLock::default(),
            building: AtomicBool::new(false),
            last_build: Mutex::default(),
        })
    }

    /// The index as last read, whatever its generation.
    fn index(&self) -> Option<Arc<SearchIndex>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The index when it holds the data as `conn` sees it now; otherwise `None`, and a rebuild
    /// starts in the background unless one is under way.
    pub fn current(
        self: &Arc<Self>,
        conn: &mut DbConnection,
    ) -> QueryResult<Option<Arc<SearchIndex>>> {
        let index = self.index();
        let generation = generation(conn)?;
        match index {
            Some(index) if index.generation() == generation => Ok(Some(index)),
            _ => {
                self.rebuild_in_background();
                Ok(None)
            }
        }
    }

    /// Reads the index now, on `conn`, and keeps it.
    fn rebuild(&self, conn: &mut DbConnection) -> Result<Arc<SearchIndex>, BuildError> {
        let index = Arc::new(SearchIndex::read(conn)?);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(index.clone());
        Ok(index)
    }

    fn rebuild_in_background(self: &Arc<Self>) {
        let rested = self
            .last_build
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none_or(|(ended, rest)| ended.elapsed() >= rest);
        if !rested || self.building.swap(true, Ordering::AcqRel) {
            return;
        }
        let searcher = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                let started = Instant::now();
                let built = searcher
                    .pool
                    .get()
                    .map_err(|e| e.to_string())
                    .and_then(|mut conn| searcher.rebuild(&mut conn).map_err(|e| e.to_string()));
                let took = started.elapsed();
                let rest = match built {
                    Ok(index) => {
                        log::info!(
                            "search index read at generation {}: {} postings in {took:.0?}",
                            index.generation(),
                            index.postings(),
                        );
                        took
                    }
                    Err(e) => {
                        log::warn!("search index not read, the database ranks searches: {e}");
                        took.max(AFTER_A_FAILED_BUILD)
                    }
                };
                *searcher
                    .last_build
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), rest));
                searcher.building.store(false, Ordering::Release);
            });
        if let Err(e) = spawned {
            log::warn!("search index not read, the database ranks searches: {e}");
            self.building.store(false, Ordering::Release);
        }
    }
}
