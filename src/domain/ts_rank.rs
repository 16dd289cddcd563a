//! PostgreSQL's `ts_rank(tsvector, tsquery)`, with its default weights and no normalisation,
//! computed as PostgreSQL computes it (`tsrank.c`), to the bit: the search index held in
//! memory ranks its hits with it and must rank them as the database would.
//!
//! A stored position is PostgreSQL's `WordEntryPos`: the position in its low 14 bits, the
//! weight class in the top two (3 for `A`, 2 for `B`, 1 for `C`, 0 for `D`). The arithmetic
//! is PostgreSQL's, single precision where its C is, double where C promotes: each step below
//! rounds where that C rounds.

/// The weight of each class, `D` to `A`, as PostgreSQL's `float` array holds them.
const WEIGHTS: [f32; 4] = [0.1, 0.2, 0.4, 1.0];

/// The positions of one lexeme in a document, as the tsvector stores them.
pub type Positions<'a> = &'a [u16];

fn weight(position: u16) -> f32 {
    WEIGHTS[usize::from(position >> 14)]
}

fn place(position: u16) -> i32 {
    i32::from(position & 0x3fff)
}

/// The weight of two positions `distance` apart.
fn word_distance(distance: i32) -> f32 {
    if distance > 100 {
        return 1e-30;
    }
    (1.0 / (1.005 + 0.05 * (f64::from(distance as f32) / 1.5 - 2.0).exp())) as f32
}

/// The rank of a document for a query of one operand (or of operands that are all the same
/// lexeme): `items` holds, for each distinct operand, the positions of each lexeme it matches
/// in the document, in lexeme order.
fn rank_or(items: &[Vec<Positions<'_>>]) -> f32 {
    let mut res: f32 = 0.0;
    for entries in items {
        for positions in entries {
            res = add_share(res, share(positions));
        }
    }
    if !items.is_empty() {
        res /= items.len() as f32;
    }
    res
}

/// What the positions of one lexeme add to `rank_or`'s sum, before it is scaled.
fn share(positions: Positions<'_>) -> f32 {
    let mut resj: f32 = 0.0;
    let mut wjm: f32 = -1.0;
    let mut jm: i32 = 0;
    for (j, &position) in (0i32..).zip(positions.iter()) {
        let w = weight(position);
        resj += w / ((j + 1) * (j + 1)) as f32;
        if w > wjm {
            wjm = w;
            jm = j;
        }
    }
    wjm + resj - wjm / ((jm + 1) * (jm + 1)) as f32
}

/// `rank_or`'s sum `res` with one more lexeme's `share`.
const fn add_share(res: f32, share: f32) -> f32 {
    (res as f64 + share as f64 / 1.64493406685) as f32
}

/// The rank of a document for a query of one operand that matches a single lexeme in it, at
/// `positions`: `ts_rank(&[vec![positions]], false)`, computed with less work. Most hits of a
/// one-word search are such, and most of them hold the word once: the share of one position
/// is its weight (`w + w / 1 - w / 1` is `w` exactly, in single precision too), so their rank
/// is one of four, computed once.
pub fn rank_of_lexeme(positions: Positions<'_>) -> f32 {
    /// The rank of a lexeme held once, by its weight class.
    const ONCE: [f32; 4] = [
        add_share(0.0, WEIGHTS[0]),
        add_share(0.0, WEIGHTS[1]),
        add_share(0.0, WEIGHTS[2]),
        add_share(0.0, WEIGHTS[3]),
    ];
    match positions {
        [position] => ONCE[usize::from(position >> 14)],
        _ => add_share(0.0, share(positions)),
    }
}

/// The rank of a document for two distinct operands or more, all required: every pair of
/// positions of two operands counts by their distance. As in PostgreSQL, an operand that
/// matches several lexemes is paired, with each later operand, through its last lexeme only.
fn rank_and(items: &[Vec<Positions<'_>>]) -> f32 {
    let mut res: f32 = -1.0;
    let mut last: Vec<Option<Positions<'_>>> = vec![None; items.len()];
    for (i, entries) in items.iter().enumerate() {
        for &positions in entries {
            last[i] = Some(positions);
            for earlier in last[..i].iter().flatten() {
                for &l in positions {
                    for &p in *earlier {
                        let distance = (place(l) - place(p)).abs();
                        if distance == 0 {
                            continue;
                        }
                        let product = weight(l) * weight(p) * word_distance(distance);
                        let curw = f64::from(product).sqrt() as f32;
                        res = match res < 0.0 {
                            true => curw,
                            false => {
                                (1.0 - (1.0 - f64::from(res)) * (1.0 - f64::from(curw))) as f32
                            }
                        };
                    }
                }
            }
        }
    }
    res
}

/// `ts_rank` of a document: `items` as for `rank_or`, one per distinct operand, sorted by
/// their lexemes' bytes; `all_of` when the query's root is an AND of operands.
pub fn ts_rank(items: &[Vec<Positions<'_>>], all_of: bool) -> f32 {
    let res = match all_of && items.len() >= 2 {
        true => rank_and(items),
        false => rank_or(items),
    };
    if res < 0.0 { 1e-20 } else { res }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u16 = 3 << 14;
    const B: u16 = 2 << 14;
    const C: u16 = 1 << 14;

    // The figures are PostgreSQL 15's, asked in psql: `SELECT ts_rank(vector, query)::float8`.

    #[test]
    fn one_lexeme_ranks_by_its_weights_and_how_often() {
        // ts_rank('emploi:1A', 'emploi')
        assert_eq!(
            f64::from(ts_rank(&[vec![&[A | 1]]], false)),
            0.6079270839691162
        );
        // ts_rank('emploi:3B,7C,9', 'emploi')
        let three = ts_rank(&[vec![&[B | 3, C | 7, 9]]], false);
        assert_eq!(f64::from(three), 0.28032195568084717);
    }

    #[test]
    fn a_lone_lexeme_ranks_as_ts_rank_ranks_it() {
        let classes = [0, C, B, A];
        let mut lists: Vec<Vec<u16>> = Vec::new();
        for &first in &classes {
            lists.push(vec![first | 1]);
            for &second in &classes {
                lists.push(vec![first | 2, second | 9]);
                for &third in &classes {
                    lists.push(vec![first | 1, second | 5, third | 300]);
                }
            }
        }
        for positions in &lists {
            let general = ts_rank(&[vec![positions]], false);
            let quick = rank_of_lexeme(positions);
            assert_eq!(quick.to_bits(), general.to_bits(), "{positions:?}");
        }
        // ts_rank('emploi:1A', 'emploi'), as psql gives it.
        assert_eq!(f64::from(rank_of_lexeme(&[A | 1])), 0.6079270839691162);
    }

    #[test]
    fn two_operands_rank_by_their_distance() {
        // ts_rank('a:1A b:2A', 'a & b')
        let near = ts_rank(&[vec![&[A | 1]], vec![&[A | 2]]], true);
        assert_eq!(f64::from(near), 0.9910321831703186);
        // ts_rank('a:1A b:200A', 'a & b'): beyond 100 positions apart, a pair weighs 1e-30.
        let far = ts_rank(&[vec![&[A | 1]], vec![&[A | 200]]], true);
        assert_eq!(f64::from(far), 1.0000000036274937e-15);
        // ts_rank('a:5A b:5C', 'a & b'): at the same position nothing counts, the floor.
        let same = ts_rank(&[vec![&[A | 5]], vec![&[C | 5]]], true);
        assert_eq!(f64::from(same), 9.999999682655225e-21);
    }

    #[test]
    fn a_prefix_pairs_later_operands_through_its_last_lexeme() {
        // ts_rank('aa:1A ab:40A b:41A', 'a:* & b') = ts_rank('ab:40A b:41A', 'a:* & b')
        let through_last = ts_rank(&[vec![&[A | 1], &[A | 40]], vec![&[A | 41]]], true);
        let alone = ts_rank(&[vec![&[A | 40]], vec![&[A | 41]]], true);
        assert_eq!(f64::from(through_last), 0.9910321831703186);
        assert_eq!(through_last, alone);
    }

    #[test]
    fn word_distance_is_postgresql_s() {
        assert_eq!(word_distance(101), 1e-30);
        assert_eq!(
            word_distance(1),
            (1.0 / (1.005 + 0.05 * (1.0f64 / 1.5 - 2.0).exp())) as f32
        );
        assert!(word_distance(1) > word_distance(2));
    }
}
