//! One page of search hits, best match first: hits are ordered by `(rank, id)`, and a page
//! continues strictly after (or before) the `(rank, id)` of its cursor.
//!
//! A search may match thousands of startups, and reading the id of each costs more than
//! ranking it (SQLite ranks from its full-text index, which knows rows by `rowid`). So hits
//! come with a key of their own, and only the ids a page can hold are asked for: the hits
//! tied with the cursor's rank, then enough of the next ranks to fill the page, with every hit
//! tied with the last of them (a tie is broken by the id).

use std::cmp::Ordering;

/// A search hit: the key it is known by, and how well it matches (smaller is better).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<K> {
    pub key: K,
    pub rank: f64,
}

/// Where a page starts: the `(rank, id)` of its cursor, and which way it reads.
#[derive(Debug, Clone, Copy)]
pub struct From<'a> {
    pub rank: f64,
    pub id: &'a str,
}

/// The `(id, rank)` of up to `limit` hits after `from` (before it when `backwards`), in
/// reading order: best first, or worst first when reading backwards. `ids_of` gives the id of
/// each key it is handed (in no particular order), in the same order.
pub fn window<K: Clone, E>(
    mut hits: Vec<Ranked<K>>,
    from: Option<From<'_>>,
    backwards: bool,
    limit: usize,
    ids_of: impl FnOnce(&[K]) -> Result<Vec<String>, E>,
) -> Result<Vec<(String, f64)>, E> {
    let ahead = |a: &f64, b: &f64| match backwards {
        false => a.total_cmp(b),
        true => b.total_cmp(a),
    };
    if let Some(from) = from {
        hits.retain(|h| ahead(&h.rank, &from.rank).is_ge());
    }
    let tied_with_cursor = from.map_or(0, |from| {
        hits.iter()
            .filter(|h| h.rank.total_cmp(&from.rank).is_eq())
            .count()
    });
    let wanted = tied_with_cursor.saturating_add(limit);
    if hits.len() > wanted && wanted > 0 {
        // The `wanted` first in reading order, found without sorting them all (a search may
        // have thousands of hits), then every other hit tied with the last of them.
        hits.select_nth_unstable_by(wanted - 1, |a, b| ahead(&a.rank, &b.rank));
        let last = hits[wanted - 1].rank;
        let mut end = wanted;
        for i in wanted..hits.len() {
            if hits[i].rank.total_cmp(&last).is_eq() {
                hits.swap(i, end);
                end += 1;
            }
        }
        hits.truncate(end);
    } else if wanted == 0 {
        hits.clear();
    }
    let keys: Vec<K> = hits.iter().map(|h| h.key.clone()).collect();
    let ids = ids_of(&keys)?;
    // Reading order of two `(id, rank)`.
    let order = |(a_id, a_rank): (&str, f64), (b_id, b_rank): (&str, f64)| {
        ahead(&a_rank, &b_rank).then_with(|| match backwards {
            false => a_id.cmp(b_id),
            true => b_id.cmp(a_id),
        })
    };
    let mut page: Vec<(String, f64)> = ids
        .into_iter()
        .zip(hits.iter().map(|h| h.rank))
        .filter(|(id, rank)| {
            from.is_none_or(|from| order((id, *rank), (from.id, from.rank)) == Ordering::Greater)
        })
        .collect();
    page.sort_by(|a, b| order((&a.0, a.1), (&b.0, b.1)));
    page.truncate(limit);
    Ok(page)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    /// Hits keyed by a number; the id of key `k` is `ids[k]`.
    fn hits(ranks: &[f64]) -> Vec<Ranked<usize>> {
        ranks
            .iter()
            .enumerate()
            .map(|(key, &rank)| Ranked { key, rank })
            .collect()
    }

    /// The page the plain way: every id read, all sorted by `(rank, id)`, then cut.
    fn oracle(
        ranks: &[f64],
        ids: &[&str],
        from: Option<From<'_>>,
        backwards: bool,
        limit: usize,
    ) -> Vec<(String, f64)> {
        let mut all: Vec<(String, f64)> = ids
            .iter()
            .map(|id| id.to_string())
            .zip(ranks.iter().copied())
            .collect();
        let cmp = |a: &(String, f64), b: &(String, f64)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
        all.sort_by(cmp);
        if backwards {
            all.reverse();
        }
        all.into_iter()
            .filter(|row| {
                from.is_none_or(|f| {
                    let c = cmp(row, &(f.id.to_owned(), f.rank));
                    match backwards {
                        false => c.is_gt(),
                        true => c.is_lt(),
                    }
                })
            })
            .take(limit)
            .collect()
    }

    fn run(
        ranks: &[f64],
        ids: &[&str],
        from: Option<From<'_>>,
        backwards: bool,
        limit: usize,
    ) -> (Vec<(String, f64)>, usize) {
        let mut asked = 0;
        let page = window(hits(ranks), from, backwards, limit, |keys| {
            asked = keys.len();
            Ok::<_, Infallible>(keys.iter().map(|&k| ids[k].to_owned()).collect())
        })
        .unwrap();
        (page, asked)
    }

    #[test]
    fn a_first_page_asks_only_for_the_ids_it_can_hold() {
        let ranks = [-1.0, -5.0, -3.0, -2.0, -4.0, -0.5];
        let ids = ["a", "b", "c", "d", "e", "f"];
        let (page, asked) = run(&ranks, &ids, None, false, 2);
        assert_eq!(page, oracle(&ranks, &ids, None, false, 2));
        assert_eq!(page, vec![("b".into(), -5.0), ("e".into(), -4.0)]);
        assert_eq!(asked, 2);
    }

    #[test]
    fn ties_at_the_edge_of_a_page_are_broken_by_the_id() {
        // Five hits share the page's last rank: all five ids are read, the smallest kept.
        let ranks = [-2.0, -1.0, -1.0, -1.0, -1.0, -1.0, 0.0];
        let ids = ["z", "q", "b", "x", "a", "m", "c"];
        let (page, asked) = run(&ranks, &ids, None, false, 3);
        assert_eq!(page, oracle(&ranks, &ids, None, false, 3));
        assert_eq!(
            page,
            vec![("z".into(), -2.0), ("a".into(), -1.0), ("b".into(), -1.0)]
        );
        assert_eq!(asked, 6);
    }

    #[test]
    fn every_page_either_way_is_the_plain_ordering_cut() {
        // Ranks with many ties, read page after page in both directions from every hit.
        let ranks = [-3.0, -1.0, -1.0, -2.0, -1.0, -3.0, 0.0, -2.0, -1.0, -3.0];
        let ids = ["j", "c", "h", "a", "e", "b", "i", "g", "d", "f"];
        for limit in [1, 2, 3, 4, 11] {
            for backwards in [false, true] {
                assert_eq!(
                    run(&ranks, &ids, None, backwards, limit).0,
                    oracle(&ranks, &ids, None, backwards, limit)
                );
                for (id, &rank) in ids.iter().zip(&ranks) {
                    let from = Some(From { rank, id });
                    assert_eq!(
                        run(&ranks, &ids, from, backwards, limit).0,
                        oracle(&ranks, &ids, from, backwards, limit),
                        "from ({rank}, {id}), backwards {backwards}, limit {limit}"
                    );
                }
            }
        }
    }

    #[test]
    fn many_hits_with_many_ties_page_as_the_plain_ordering() {
        // 600 hits over 40 ranks, their ids shuffled; pages of several sizes from many cursors.
        let mut state: u64 = 7;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let ranks: Vec<f64> = (0..600).map(|_| -((next() % 40) as f64) / 4.0).collect();
        let names: Vec<String> = (0..600)
            .map(|i| format!("s{:04}", (i * 397) % 600))
            .collect();
        let ids: Vec<&str> = names.iter().map(String::as_str).collect();
        for limit in [1, 20, 57, 599, 600, 1000] {
            for backwards in [false, true] {
                assert_eq!(
                    run(&ranks, &ids, None, backwards, limit).0,
                    oracle(&ranks, &ids, None, backwards, limit)
                );
                for at in (0..600).step_by(37) {
                    let from = Some(From {
                        rank: ranks[at],
                        id: ids[at],
                    });
                    assert_eq!(
                        run(&ranks, &ids, from, backwards, limit).0,
                        oracle(&ranks, &ids, from, backwards, limit),
                        "from {at}, backwards {backwards}, limit {limit}"
                    );
                }
            }
        }
    }

    #[test]
    fn no_hits_or_no_room_asks_for_nothing() {
        assert_eq!(run(&[], &[], None, false, 20), (vec![], 0));
        assert_eq!(run(&[-1.0], &["a"], None, false, 0), (vec![], 0));
    }
}
