//! Okapi BM25, computed as SQLite's full-text index (FTS5) computes its `bm25()`, to the last
//! bit: the search index held in memory ranks its hits with these functions and must rank them
//! as the database would (the same pages, the same cursors).
//!
//! FTS5 gives each phrase of a query an IDF from the number of rows it matches in the whole
//! table, and each matching row the sum, over the phrases, of the IDF times a saturated
//! frequency: the phrase's weighted count in the row (each instance counts its column's
//! weight), damped by the row's length against the average. The score is negated, so that a
//! better match is smaller and sorts first.

/// Term-frequency saturation.
const K1: f64 = 1.2;
/// Length normalisation.
const B: f64 = 0.75;

/// The weight of an instance in each searched column, in the index's column order: name,
/// pitch, description. The SQL that ranks with `bm25()` passes the same.
pub const COLUMN_WEIGHTS: [f64; 3] = [10.0, 3.0, 1.0];

/// The IDF of a phrase that `hits` of the table's `rows` hold, floored at 1e-6 (a phrase in
/// more than half the rows would otherwise count against a match).
pub fn idf(rows: i64, hits: i64) -> f64 {
    // As FTS5 writes it: the difference taken in integers, then the halves added in doubles.
    let idf = (((rows - hits) as f64 + 0.5) / (hits as f64 + 0.5)).ln();
    if idf <= 0.0 { 1e-6 } else { idf }
}

/// The average length in tokens of the table's rows.
pub fn average_length(tokens: i64, rows: i64) -> f64 {
    tokens as f64 / rows as f64
}

/// The rank of a row: `idfs` and `frequencies` per phrase (the weighted count of the phrase's
/// instances in the row), `length` the row's tokens. Smaller is better.
pub fn rank(idfs: &[f64], frequencies: &[f64], length: f64, average_length: f64) -> f64 {
    let mut score = 0.0;
    for (idf, frequency) in idfs.iter().zip(frequencies) {
        // The same operations in the same order as FTS5's C, so the same rounding.
        score += idf
            * ((frequency * (K1 + 1.0))
                / (frequency + K1 * ((1.0 - B) + B * length / average_length)));
    }
    -score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rarer_phrase_weighs_more_and_common_ones_are_floored() {
        assert!(idf(1000, 10) > idf(1000, 100));
        assert_eq!(idf(1000, 500), 1e-6, "log(500.5 / 500.5) is 0");
        assert_eq!(idf(1000, 900), 1e-6);
        assert_eq!(idf(1000, 1), (999.5f64 / 1.5).ln());
    }

    #[test]
    fn a_better_match_ranks_smaller() {
        let idfs = [idf(1000, 10)];
        let average = average_length(50_000, 1000);
        // More instances, or the same in a shorter row, rank first.
        assert!(rank(&idfs, &[20.0], 50.0, average) < rank(&idfs, &[10.0], 50.0, average));
        assert!(rank(&idfs, &[10.0], 20.0, average) < rank(&idfs, &[10.0], 80.0, average));
        // Each phrase adds its share.
        let two = [idf(1000, 10), idf(1000, 300)];
        let both = rank(&two, &[10.0, 1.0], 50.0, average);
        assert!(both < rank(&two[..1], &[10.0], 50.0, average));
        assert_eq!(rank(&[], &[], 50.0, average), -0.0);
    }

    #[test]
    fn the_figure_of_bm25_by_hand() {
        // One phrase in 10 of 1,000 rows, twice in the name (2 × 10) of a row of 40 tokens,
        // against an average of 50: idf × 20 × 2.2 / (20 + 1.2 × (0.25 + 0.75 × 40 / 50)).
        let idf = idf(1000, 10);
        let expected = -(idf * (44.0 / (20.0 + 1.2 * 0.85)));
        let got = rank(&[idf], &[20.0], 40.0, 50.0);
        assert!((got - expected).abs() < 1e-12, "{got} against {expected}");
    }
}
