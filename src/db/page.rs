//! Keyset pagination shared by every collection: a page is the rows strictly after (or before)
//! the key of the last row seen, in key order, so deep pages stay cheap and stable under inserts.

/// Which side of the cursor's key a page lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    After,
    Before,
}

/// The position a page starts from: the sort key of a row already seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub direction: Direction,
    pub key: String,
}

/// What a caller asks for: a page size and an optional cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub size: i64,
    pub cursor: Option<Cursor>,
    /// The page is one chunk of a whole export, not a page answered: the total of the filtered
    /// collection is not wanted (it is not counted, and the page says 0), and a collection may
    /// read it in the order that suits a whole export best.
    pub chunk: bool,
}

impl PageRequest {
    /// The total of the filtered collection, as `count` counts it; 0 for a chunk.
    pub fn total(
        &self,
        count: impl FnOnce() -> diesel::QueryResult<i64>,
    ) -> diesel::QueryResult<i64> {
        match self.chunk {
            true => Ok(0),
            false => count(),
        }
    }

    /// Rows to fetch: one more than the page holds, to learn whether another page follows.
    pub fn limit(&self) -> i64 {
        self.size + 1
    }

    /// The cursor as `(direction, key)`, the form `keyset_order!` takes.
    pub fn position(&self) -> Option<(Direction, String)> {
        self.cursor.as_ref().map(|c| (c.direction, c.key.clone()))
    }

    /// Whether rows must be read in descending key order (paging backwards).
    pub fn backwards(&self) -> bool {
        matches!(&self.cursor, Some(c) if c.direction == Direction::Before)
    }
}

/// Orders a boxed query by its key column and keeps the rows on the cursor's side of `position`
/// (an `Option<(Direction, key)>`, the key already of the column's type).
macro_rules! keyset_order {
    ($query:expr, $column:expr, $position:expr) => {
        match $position {
            None => $query.order($column.asc()),
            Some(($crate::db::page::Direction::After, key)) => {
                $query.filter($column.gt(key)).order($column.asc())
            }
            Some(($crate::db::page::Direction::Before, key)) => {
                $query.filter($column.lt(key)).order($column.desc())
            }
        }
    };
}
pub(crate) use keyset_order;

/// Like [`keyset_order!`] for a key of two columns, compared as a pair: `position` is an
/// `Option<(Direction, (first, second))>`.
macro_rules! keyset_pair_order {
    ($query:expr, $first:expr, $second:expr, $position:expr) => {
        match $position {
            None => $query.order(($first.asc(), $second.asc())),
            // `first >= x AND (first > x OR second > y)`: the same rows as the pair compared
            // after (x, y), with a bound on the first column that its index can seek to.
            Some(($crate::db::page::Direction::After, (first, second))) => $query
                .filter($first.ge(first.clone()))
                .filter($first.gt(first).or($second.gt(second)))
                .order(($first.asc(), $second.asc())),
            Some(($crate::db::page::Direction::Before, (first, second))) => $query
                .filter($first.le(first.clone()))
                .filter($first.lt(first).or($second.lt(second)))
                .order(($first.desc(), $second.desc())),
        }
    };
}
pub(crate) use keyset_pair_order;

/// The key of a row under a two-column keyset: the pair as JSON, so any text round-trips.
pub fn pair_key<A: serde::Serialize, B: serde::Serialize>(first: &A, second: &B) -> String {
    serde_json::json!([first, second]).to_string()
}

/// Reads a key made by [`pair_key`]; `None` when it is not one.
pub fn parse_pair_key<A: serde::de::DeserializeOwned, B: serde::de::DeserializeOwned>(
    key: &str,
) -> Option<(A, B)> {
    serde_json::from_str(key).ok()
}

/// Where a page of a two-column keyset starts: the side, and the pair of the row seen.
pub type PairPosition<A, B> = Option<(Direction, (A, B))>;

/// A cursor whose key is not of the collection it was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignCursor;

impl From<ForeignCursor> for diesel::result::Error {
    fn from(_: ForeignCursor) -> Self {
        diesel::result::Error::QueryBuilderError("a cursor of another collection".into())
    }
}

impl PageRequest {
    /// The cursor as `(direction, (first, second))` for `keyset_pair_order!`; an error when
    /// its key is not a pair of those types (a cursor of another collection).
    pub fn pair_position<A, B>(&self) -> Result<PairPosition<A, B>, ForeignCursor>
    where
        A: serde::de::DeserializeOwned,
        B: serde::de::DeserializeOwned,
    {
        match &self.cursor {
            None => Ok(None),
            Some(cursor) => parse_pair_key(&cursor.key)
                .map(|pair| Some((cursor.direction, pair)))
                .ok_or(ForeignCursor),
        }
    }
}

/// One page of rows with the total of the filtered collection and the cursors around it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with [`PageRequest::limit`] in the request's direction.
    pub fn from_rows(
        request: &PageRequest,
        mut rows: Vec<T>,
        total: i64,
        key: impl Fn(&T) -> String,
    ) -> Self {
        let size = usize::try_from(request.size).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        let backwards = request.backwards();
        if backwards {
            rows.reverse();
        }
        let (more_after, more_before) = if backwards {
            (true, more)
        } else {
            (more, request.cursor.is_some())
        };
        let cursor_at = |row: Option<&T>, direction| {
            row.map(|row| Cursor {
                direction,
                key: key(row),
            })
        };
        let next = if more_after {
            cursor_at(rows.last(), Direction::After)
        } else {
            None
        };
        let prev = if more_before {
            cursor_at(rows.first(), Direction::Before)
        } else {
            None
        };
        Self {
            rows,
            total,
            next,
            prev,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            total: self.total,
            next: self.next,
            prev: self.prev,
        }
    }

    /// Like [`Page::map`], with a conversion that may fail: the first failure, or the page.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            rows: self.rows.into_iter().map(f).collect::<Result<_, E>>()?,
            total: self.total,
            next: self.next,
            prev: self.prev,
        })
    }

    /// Like [`Page::map`], leaving out the rows `f` gives nothing for; the total and the
    /// cursors stay as they were read.
    pub fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Page<U> {
        Page {
            rows: self.rows.into_iter().filter_map(f).collect(),
            total: self.total,
            next: self.next,
            prev: self.prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(size: i64, cursor: Option<(Direction, &str)>) -> PageRequest {
        PageRequest {
            chunk: false,
            size,
            cursor: cursor.map(|(direction, key)| Cursor {
                direction,
                key: key.into(),
            }),
        }
    }

    fn keys(rows: &[&str]) -> Vec<String> {
        rows.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn try_map_keeps_the_links_or_gives_the_first_failure() {
        let page = Page::from_rows(&request(2, None), keys(&["a", "b", "c"]), 3, Clone::clone);
        let upper = page
            .try_map(|k| Ok::<_, String>(k.to_uppercase()))
            .expect("every row converts");
        assert_eq!(upper.rows, keys(&["A", "B"]));
        assert_eq!(upper.total, 3);
        assert_eq!(upper.next.map(|c| c.key), Some("b".into()));
        let page = Page::from_rows(&request(3, None), keys(&["a", "b", "c"]), 3, Clone::clone);
        let failed = page.try_map(|k| {
            if k == "a" {
                Ok(k)
            } else {
                Err(format!("not {k}"))
            }
        });
        assert_eq!(failed.err(), Some("not b".into()));
    }

    #[test]
    fn first_page_with_more_rows_has_next_only() {
        let page = Page::from_rows(&request(2, None), keys(&["a", "b", "c"]), 3, Clone::clone);
        assert_eq!(page.rows, keys(&["a", "b"]));
        assert_eq!(page.next.map(|c| c.key), Some("b".into()));
        assert!(page.prev.is_none());
    }

    #[test]
    fn last_page_has_prev_only() {
        let req = request(2, Some((Direction::After, "b")));
        let page = Page::from_rows(&req, keys(&["c"]), 3, Clone::clone);
        assert!(page.next.is_none());
        let prev = page.prev.expect("prev");
        assert_eq!(
            (prev.direction, prev.key.as_str()),
            (Direction::Before, "c")
        );
    }

    #[test]
    fn backwards_page_is_returned_in_key_order() {
        // Rows arrive descending when paging backwards.
        let req = request(2, Some((Direction::Before, "d")));
        let page = Page::from_rows(&req, keys(&["c", "b", "a"]), 4, Clone::clone);
        assert_eq!(page.rows, keys(&["b", "c"]));
        assert_eq!(page.next.map(|c| c.key), Some("c".into()));
        assert_eq!(page.prev.map(|c| c.key), Some("b".into()));
    }
}
