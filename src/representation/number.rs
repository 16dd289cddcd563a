//! Numbers as they were written. Observations are stored as doubles, and serde writes a whole
//! double with a fraction (`310.0`), where the writer sent `310` and the CSV says `310`. A
//! whole value is written here as an integer, in JSON as in CSV, so that a number reads back,
//! in every format, as it was written.

use serde::Serializer;

/// The largest whole number a double holds exactly, and beyond which it stays a double.
const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53

/// A value as it is written: whole, or with its fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plain {
    Whole(i64),
    Fraction(f64),
}

impl Plain {
    pub fn of(value: f64) -> Self {
        if value.fract() == 0.0 && value.abs() <= EXACT {
            // Exact: whole and within ±2^53.
            #[allow(clippy::cast_possible_truncation)]
            return Self::Whole(value as i64);
        }
        Self::Fraction(value)
    }
}

impl std::fmt::Display for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Whole(n) => write!(f, "{n}"),
            Self::Fraction(x) => write!(f, "{x}"),
        }
    }
}

/// `#[serde(serialize_with = "number::plain")]` for a value field.
pub fn plain<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    match Plain::of(*value) {
        Plain::Whole(n) => serializer.serialize_i64(n),
        Plain::Fraction(x) => serializer.serialize_f64(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: f64) -> String {
        let mut out = Vec::new();
        plain(&value, &mut serde_json::Serializer::new(&mut out)).expect("serialised");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn whole_values_are_written_whole_in_json_and_csv() {
        for (value, written) in [
            (310.0, "310"),
            (250_000.0, "250000"),
            (-4.0, "-4"),
            (0.0, "0"),
            (12.5, "12.5"),
            (0.1, "0.1"),
        ] {
            assert_eq!(json(value), written);
            assert_eq!(Plain::of(value).to_string(), written);
        }
    }

    #[test]
    fn values_too_large_to_be_exact_stay_doubles() {
        assert_eq!(Plain::of(EXACT), Plain::Whole(9_007_199_254_740_992));
        assert_eq!(Plain::of(1e20), Plain::Fraction(1e20));
    }
}
