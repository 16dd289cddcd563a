//! Dates and times read from SQLite without chrono's format parser.
//!
//! SQLite stores them as text (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`), and diesel reads each one
//! with `parse_from_str`, which reads its format string again for every value: 13 % of the
//! CPU of a whole startup export at 100,000 startups (BENCHMARKS.md). These types read the
//! text in the shape the database writes by hand and leave any other shape to diesel, so
//! that what they accept is what diesel accepts. A struct's field keeps its chrono type and
//! names its reader: `#[diesel(deserialize_as = Day)]`. PostgreSQL's binary values go to
//! diesel unchanged, whether read through [`MultiBackend`] or on a connection of PostgreSQL's
//! own ([`super::pipelined`]).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::{Date, Nullable, Timestamp};
use diesel::sqlite::Sqlite;

use super::{MultiBackend, MultiRawValue};

/// `YYYY-MM-DD`, each a digit; `None` for any other text, or a day that does not exist.
fn parse_day(text: &[u8]) -> Option<NaiveDate> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *text else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| u32::from(b - b'0'));
    let year = digit(y0)? * 1000 + digit(y1)? * 100 + digit(y2)? * 10 + digit(y3)?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// `YYYY-MM-DD HH:MM:SS`; `None` for any other text (fractions of a second among them).
fn parse_day_time(text: &[u8]) -> Option<NaiveDateTime> {
    let (day, time) = (text.get(..10)?, text.get(10..)?);
    let [b' ', h0, h1, b':', m0, m1, b':', s0, s1] = *time else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| u32::from(b - b'0'));
    let time = NaiveTime::from_hms_opt(
        digit(h0)? * 10 + digit(h1)?,
        digit(m0)? * 10 + digit(m1)?,
        digit(s0)? * 10 + digit(s1)?,
    )?;
    Some(parse_day(day)?.and_time(time))
}

/// A date column read by `parse_day` on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct Day(pub NaiveDate);

impl From<Day> for NaiveDate {
    fn from(day: Day) -> Self {
        day.0
    }
}

/// A value of SQL type `ST` read by `by_hand` from SQLite's text, or by diesel when the text
/// has another shape, and by diesel from every other backend.
fn read<T, ST>(value: MultiRawValue<'_>, by_hand: fn(&[u8]) -> Option<T>) -> deserialize::Result<T>
where
    T: FromSql<ST, Sqlite> + FromSql<ST, Pg>,
{
    match value {
        MultiRawValue::Sqlite(mut value) => match by_hand(value.read_text().as_bytes()) {
            Some(read) => Ok(read),
            None => <T as FromSql<ST, Sqlite>>::from_sql(value),
        },
        other => other.from_sql::<T, ST>(),
    }
}

impl FromSql<Date, MultiBackend> for Day {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        read::<NaiveDate, Date>(value, parse_day).map(Day)
    }
}

/// A nullable date column read by `parse_day` on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct MaybeDay(pub Option<NaiveDate>);

impl From<MaybeDay> for Option<NaiveDate> {
    fn from(day: MaybeDay) -> Self {
        day.0
    }
}

impl FromSql<Nullable<Date>, MultiBackend> for MaybeDay {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        <Day as FromSql<Date, MultiBackend>>::from_sql(value).map(|day| MaybeDay(Some(day.0)))
    }

    fn from_nullable_sql(value: Option<MultiRawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => <Self as FromSql<Nullable<Date>, MultiBackend>>::from_sql(value),
            None => Ok(MaybeDay(None)),
        }
    }
}

impl FromSql<Nullable<Date>, Pg> for MaybeDay {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDate as FromSql<Date, Pg>>::from_sql(value).map(|day| MaybeDay(Some(day)))
    }

    fn from_nullable_sql(value: Option<diesel::pg::PgValue<'_>>) -> deserialize::Result<Self> {
        value.map_or(
            Ok(MaybeDay(None)),
            <Self as FromSql<Nullable<Date>, Pg>>::from_sql,
        )
    }
}

/// A timestamp column read by `parse_day_time` on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct DayTime(pub NaiveDateTime);

impl From<DayTime> for NaiveDateTime {
    fn from(at: DayTime) -> Self {
        at.0
    }
}

impl FromSql<Timestamp, MultiBackend> for DayTime {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        read::<NaiveDateTime, Timestamp>(value, parse_day_time).map(DayTime)
    }
}

impl FromSql<Timestamp, Pg> for DayTime {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(DayTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What diesel reads from the same text, by chrono's parser.
    fn chrono_day(text: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(text, "%F").ok()
    }

    #[test]
    fn a_day_reads_as_chrono_reads_it() {
        for text in [
            "2019-06-15",
            "2024-02-29",
            "0001-01-01",
            "9999-12-31",
            "2023-02-29",
            "2019-13-01",
            "2019-00-10",
            "2019-06-32",
        ] {
            assert_eq!(parse_day(text.as_bytes()), chrono_day(text), "{text}");
        }
    }

    #[test]
    fn other_shapes_are_left_to_diesel() {
        // chrono reads some of these; diesel is asked for all of them.
        for text in [
            "2019-6-15",
            "+2019-06-15",
            "2019-06-15 ",
            "2019/06/15",
            "20190615",
            "",
        ] {
            assert_eq!(parse_day(text.as_bytes()), None, "{text}");
        }
        for text in [
            "2019-06-15 10:00:00.5",
            "2019-06-15T10:00:00",
            "2019-06-15 10:00",
        ] {
            assert_eq!(parse_day_time(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn a_time_reads_as_chrono_reads_it() {
        for text in [
            "2026-11-24 10:00:00",
            "1970-01-01 00:00:00",
            "2020-12-29 23:59:59",
        ] {
            assert_eq!(
                parse_day_time(text.as_bytes()),
                NaiveDateTime::parse_from_str(text, "%F %T").ok(),
                "{text}"
            );
        }
        assert_eq!(parse_day_time(b"2020-12-29 24:00:00"), None);
    }
}
