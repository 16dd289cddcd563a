//! Strict parsing of the dates found in Startups d'État records.
//!
//! The source data mixes ISO dates and French day-first dates. Anything else
//! is rejected rather than guessed at, because a silently misread date (a
//! five-digit year, a swapped day and month) corrupts phase histories in ways
//! nobody notices.

use chrono::NaiveDate;

/// The accepted date shapes, for messages that tell a person what to type.
///
/// `DD/MM/YYYY` is accepted too, but the dash form is the one we ask for.
pub const DATE_FORMATS: &str = "YYYY-MM-DD or DD-MM-YYYY";

/// The years a date may have: four digits, 0001 to 9999, as ISO 8601 writes them without an
/// agreed extension. Outside them a date has a sign or a fifth digit (`+10000-01-01`), which
/// readers of the files mishandle and text sorts out of order.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Whether `day` falls within [`YEARS`].
pub fn within_years(day: NaiveDate) -> bool {
    YEARS.contains(&chrono::Datelike::year(&day))
}

/// Why a piece of text could not be read as a date.
///
/// The two cases are kept apart because they call for different fixes: a
/// malformed date needs retyping in another shape, an impossible one needs a
/// different day.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text has none of the accepted shapes.
    #[error("`{input}` is not a date: expected YYYY-MM-DD or DD-MM-YYYY")]
    Malformed { input: String },
    /// The text has an accepted shape but names a day the calendar lacks,
    /// such as 30 February.
    #[error("`{input}` is not a real calendar day")]
    Impossible { input: String },
}

/// Reads `YYYY-MM-DD`, `DD-MM-YYYY` or `DD/MM/YYYY`, ignoring surrounding
/// whitespace.
///
/// Every field must have exactly its number of ASCII digits (so `2020-1-5`
/// and `01-07-20219` are rejected), and the day must exist. Nothing is
/// guessed: input that could be read in more than one way cannot occur,
/// because the year's position is fixed by the separators.
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    let malformed = || DateError::Malformed {
        input: input.to_owned(),
    };
    let (year, month, day) = split_fields(input.trim()).ok_or_else(malformed)?;
    NaiveDate::from_ymd_opt(year, month, day)
        .filter(|day| within_years(*day))
        .ok_or_else(|| DateError::Impossible {
            input: input.to_owned(),
        })
}

/// Splits a trimmed date into (year, month, day), or `None` when it has none
/// of the accepted shapes.
fn split_fields(text: &str) -> Option<(i32, u32, u32)> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 {
        return None;
    }
    let is_iso = bytes[4] == b'-' && bytes[7] == b'-';
    let is_french = (bytes[2] == b'-' || bytes[2] == b'/') && bytes[5] == bytes[2];
    let (year, month, day) = if is_iso {
        (&bytes[0..4], &bytes[5..7], &bytes[8..10])
    } else if is_french {
        (&bytes[6..10], &bytes[3..5], &bytes[0..2])
    } else {
        return None;
    };
    Some((
        read_digits(year)?.try_into().ok()?,
        read_digits(month)?,
        read_digits(day)?,
    ))
}

/// Reads a run of ASCII digits as a number, or `None` if any byte is not a
/// digit (unlike `str::parse`, which accepts a leading `+`).
fn read_digits(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |number, &byte| {
        byte.is_ascii_digit()
            .then(|| number * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_run_from_1_to_9999() {
        assert!(matches!(
            parse_date("0000-01-01"),
            Err(DateError::Impossible { .. })
        ));
        assert!(parse_date("0001-01-01").is_ok());
        assert!(parse_date("9999-12-31").is_ok());
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).expect("chrono has it");
        assert!(!within_years(far));
    }

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn malformed(input: &str) -> DateError {
        DateError::Malformed {
            input: input.to_owned(),
        }
    }

    #[test]
    fn reads_iso_dates() {
        assert_eq!(parse_date("2020-07-01"), Ok(date(2020, 7, 1)));
        assert_eq!(parse_date("1999-12-31"), Ok(date(1999, 12, 31)));
    }

    #[test]
    fn reads_french_dates_with_dashes_or_slashes() {
        assert_eq!(parse_date("01-07-2020"), Ok(date(2020, 7, 1)));
        assert_eq!(parse_date("01/07/2020"), Ok(date(2020, 7, 1)));
        assert_eq!(parse_date("31/12/1999"), Ok(date(1999, 12, 31)));
    }

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(parse_date("  2020-07-01\n"), Ok(date(2020, 7, 1)));
        assert_eq!(parse_date("\t01/07/2020 "), Ok(date(2020, 7, 1)));
    }

    #[test]
    fn accepts_leap_days_only_in_leap_years() {
        assert_eq!(parse_date("2020-02-29"), Ok(date(2020, 2, 29)));
        assert_eq!(parse_date("29-02-2000"), Ok(date(2000, 2, 29)));
        assert_eq!(
            parse_date("2021-02-29"),
            Err(DateError::Impossible {
                input: "2021-02-29".to_owned()
            })
        );
        assert!(matches!(
            parse_date("29-02-1900"),
            Err(DateError::Impossible { .. })
        ));
    }

    #[test]
    fn rejects_days_that_do_not_exist() {
        for input in [
            "2020-02-30",
            "2020-04-31",
            "2020-13-01",
            "2020-00-10",
            "00-01-2020",
        ] {
            assert_eq!(
                parse_date(input),
                Err(DateError::Impossible {
                    input: input.to_owned()
                }),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_years_that_are_not_four_digits() {
        for input in [
            "01-07-20219",
            "20219-07-01",
            "01-07-202",
            "202-07-01",
            "01-07-20",
        ] {
            assert_eq!(parse_date(input), Err(malformed(input)), "{input}");
        }
    }

    #[test]
    fn rejects_unpadded_fields() {
        for input in ["2020-1-5", "2020-01-5", "1-7-2020", "1/07/2020"] {
            assert_eq!(parse_date(input), Err(malformed(input)), "{input}");
        }
    }

    #[test]
    fn rejects_other_shapes() {
        for input in [
            "",
            "   ",
            "2020/07/01",
            "01.07.2020",
            "01-07/2020",
            "2020-07-01T00:00:00",
            "+020-07-01",
            "2020-+7-01",
            "01 07 2020",
            "2020–07–01",
            "１２３４-05-06",
            "juillet 2020",
        ] {
            assert_eq!(parse_date(input), Err(malformed(input)), "{input:?}");
        }
    }

    #[test]
    fn keeps_the_input_untrimmed_in_errors() {
        assert_eq!(parse_date(" 2020-1-5 "), Err(malformed(" 2020-1-5 ")));
    }

    #[test]
    fn messages_name_the_input_and_the_expected_formats() {
        assert_eq!(
            malformed("2020-1-5").to_string(),
            "`2020-1-5` is not a date: expected YYYY-MM-DD or DD-MM-YYYY"
        );
        assert!(malformed("x").to_string().ends_with(DATE_FORMATS));
        assert_eq!(
            DateError::Impossible {
                input: "2020-02-30".to_owned()
            }
            .to_string(),
            "`2020-02-30` is not a real calendar day"
        );
    }
}
