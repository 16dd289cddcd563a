//! The portfolio through the years: how many startups were in each phase at the end of each
//! year, from the year the first startup started to this one.
//!
//! A startup is in a phase on a day when that phase had started by then and the next one had
//! not (the rule of [`crate::domain::phases::current_phase`]). On 31 December of a year that
//! reads on years alone: the phase started in that year or before, and the next one, if any,
//! started in a later year. So phase rows counted by `(phase, start year, next start year)`
//! are enough for every year end at once.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

/// Phase rows of one phase that started in `start_year` and were followed by another phase in
/// `next_start_year` (`None`: not followed yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseYears {
    pub phase: String,
    pub start_year: i32,
    pub next_start_year: Option<i32>,
    /// How many rows (one per startup) share these years.
    pub startups: i64,
}

/// The portfolio on one day: startups per phase id; phases with none are absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearEnd {
    pub year: i32,
    /// 31 December of `year`, or today for the current year.
    pub day: NaiveDate,
    pub by_phase: BTreeMap<String, i64>,
}

/// Startups per phase on 31 December of `year`.
pub fn in_phase_at_year_end(rows: &[PhaseYears], year: i32) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for row in rows {
        let started = row.start_year <= year;
        let not_followed = row.next_start_year.is_none_or(|next| next > year);
        if started && not_followed && row.startups > 0 {
            *counts.entry(row.phase.clone()).or_default() += row.startups;
        }
    }
    counts
}

/// One [`YearEnd`] per year from the earliest phase start to `today`'s year: past years as on
/// 31 December, the current year as `on_today` (the counts on `today`, which the caller reads
/// with the same rule, since a year end still to come cannot be described yet). Empty when
/// there is no phase row. Phases planned for a later year do not stretch the range.
pub fn portfolio_by_year(
    rows: &[PhaseYears],
    today: NaiveDate,
    on_today: BTreeMap<String, i64>,
) -> Vec<YearEnd> {
    let this_year = today.year();
    let Some(first) = rows.iter().map(|row| row.start_year).min() else {
        return Vec::new();
    };
    let mut years: Vec<YearEnd> = (first.min(this_year)..this_year)
        .filter_map(|year| {
            Some(YearEnd {
                year,
                day: NaiveDate::from_ymd_opt(year, 12, 31)?,
                by_phase: in_phase_at_year_end(rows, year),
            })
        })
        .collect();
    years.push(YearEnd {
        year: this_year,
        day: today,
        by_phase: on_today,
    });
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn row(phase: &str, start_year: i32, next_start_year: Option<i32>, n: i64) -> PhaseYears {
        PhaseYears {
            phase: phase.to_owned(),
            start_year,
            next_start_year,
            startups: n,
        }
    }

    fn counts(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn a_phase_counts_from_its_start_year_until_the_year_before_the_next_starts() {
        // One startup: investigation in 2018, construction 2019, transferred in 2021.
        let rows = [
            row("investigation", 2018, Some(2019), 1),
            row("construction", 2019, Some(2021), 1),
            row("transfere", 2021, None, 1),
        ];
        assert_eq!(in_phase_at_year_end(&rows, 2017), counts(&[]));
        assert_eq!(
            in_phase_at_year_end(&rows, 2018),
            counts(&[("investigation", 1)])
        );
        assert_eq!(
            in_phase_at_year_end(&rows, 2019),
            counts(&[("construction", 1)])
        );
        assert_eq!(
            in_phase_at_year_end(&rows, 2020),
            counts(&[("construction", 1)])
        );
        assert_eq!(
            in_phase_at_year_end(&rows, 2021),
            counts(&[("transfere", 1)])
        );
        assert_eq!(
            in_phase_at_year_end(&rows, 2030),
            counts(&[("transfere", 1)])
        );
    }

    #[test]
    fn a_phase_started_and_followed_in_one_year_is_never_seen_at_a_year_end() {
        let rows = [
            row("investigation", 2020, Some(2020), 3),
            row("construction", 2020, None, 3),
        ];
        assert_eq!(
            in_phase_at_year_end(&rows, 2020),
            counts(&[("construction", 3)])
        );
    }

    #[test]
    fn groups_of_startups_add_up() {
        let rows = [
            row("construction", 2019, None, 2),
            row("construction", 2020, Some(2022), 5),
            row("construction", 2021, Some(2021), 7),
            row("acceleration", 2021, None, 0),
        ];
        assert_eq!(
            in_phase_at_year_end(&rows, 2021),
            counts(&[("construction", 7)])
        );
        assert_eq!(
            in_phase_at_year_end(&rows, 2022),
            counts(&[("construction", 2)])
        );
    }

    #[test]
    fn one_year_end_per_year_and_today_for_this_year() {
        let rows = [
            row("investigation", 2021, Some(2022), 1),
            row("construction", 2022, None, 1),
        ];
        let today = d(2024, 5, 6);
        let on_today = counts(&[("construction", 1)]);
        let years = portfolio_by_year(&rows, today, on_today.clone());
        let got: Vec<(i32, NaiveDate)> = years.iter().map(|y| (y.year, y.day)).collect();
        assert_eq!(
            got,
            vec![
                (2021, d(2021, 12, 31)),
                (2022, d(2022, 12, 31)),
                (2023, d(2023, 12, 31)),
                (2024, today),
            ]
        );
        assert_eq!(years[0].by_phase, counts(&[("investigation", 1)]));
        assert_eq!(years[2].by_phase, counts(&[("construction", 1)]));
        assert_eq!(years[3].by_phase, on_today);
    }

    #[test]
    fn no_rows_no_years() {
        assert!(portfolio_by_year(&[], d(2024, 1, 1), BTreeMap::new()).is_empty());
    }

    #[test]
    fn a_portfolio_only_planned_for_later_shows_this_year_alone() {
        let rows = [row("investigation", 2030, None, 1)];
        let years = portfolio_by_year(&rows, d(2024, 1, 1), BTreeMap::new());
        assert_eq!(years.len(), 1);
        assert_eq!(years[0].year, 2024);
        assert!(years[0].by_phase.is_empty());
    }
}
