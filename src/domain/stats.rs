//! Statistics over the programme's data as plain functions: metric time
//! series rolled up by period, how long startups stay in each phase, and
//! where startups ended up. Nothing here touches the database or the clock,
//! so every figure the API serves can be checked by a unit test.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::domain::phases::PhaseSpan;

/// The length of the periods a metric's time series is rolled up into, so
/// that a chart can show a readable number of points whatever the range.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One bucket per calendar day.
    Day,
    /// One bucket per calendar month.
    Month,
    /// One bucket per calendar quarter, starting Jan 1st, Apr 1st, Jul 1st
    /// and Oct 1st.
    Quarter,
    /// One bucket per calendar year.
    Year,
}

impl Granularity {
    /// Every granularity, finest first, so that the API can list the values
    /// it accepts and tests can cover them all.
    pub const ALL: [Self; 4] = [Self::Day, Self::Month, Self::Quarter, Self::Year];

    /// The name used in query strings and JSON, the same as serde's, so that
    /// error messages and documentation can quote it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }

    /// The first day of the bucket holding `date`: the key under which
    /// observations of one period are gathered.
    pub fn bucket_start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => date,
            Self::Month => month_start(date),
            // Going back at most two months from the 1st of a month stays in
            // the same year, so this never falls before `NaiveDate::MIN`
            // (a January 1st); the fallback is only there to stay total.
            Self::Quarter => month_start(date)
                .checked_sub_months(Months::new(date.month0() % 3))
                .unwrap_or(NaiveDate::MIN),
            // The 1st of January of the same year always exists.
            Self::Year => date
                .checked_sub_days(Days::new(u64::from(date.ordinal0())))
                .unwrap_or(NaiveDate::MIN),
        }
    }

    /// The last day of the bucket that begins on `start`, so that a bucket
    /// can be shown as a closed range of days.
    ///
    /// If `start` is not the first day of a bucket, the result is the last
    /// day of the bucket holding it.
    pub fn bucket_end(self, start: NaiveDate) -> NaiveDate {
        let months = match self {
            Self::Day => return start,
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Year => 12,
        };
        // The day before the next bucket starts. When the next bucket is past
        // the calendar's end, this bucket is the calendar's last month,
        // quarter or year, and its last day is `NaiveDate::MAX` (a Dec 31st).
        self.bucket_start(start)
            .checked_add_months(Months::new(months))
            .and_then(|next| next.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }
}

/// The first day of the month holding `date`.
fn month_start(date: NaiveDate) -> NaiveDate {
    // Going back to the 1st of the same month cannot leave the calendar.
    date.checked_sub_days(Days::new(u64::from(date.day0())))
        .unwrap_or(NaiveDate::MIN)
}

/// How the observations falling in one bucket are folded into one value,
/// since metrics differ: counts add up, rates average, stocks take the
/// latest figure.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// The total of the values: for flows such as "users gained".
    Sum,
    /// The arithmetic mean of the values: for rates and scores.
    Avg,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// The value observed on the latest date of the bucket: for stocks such
    /// as "active users", where adding up would double count.
    Last,
}

impl Aggregate {
    /// Every aggregate, so that the API can list the values it accepts and
    /// tests can cover them all.
    pub const ALL: [Self; 5] = [Self::Sum, Self::Avg, Self::Min, Self::Max, Self::Last];

    /// The name used in query strings and JSON, the same as serde's, so that
    /// error messages and documentation can quote it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sum => "sum",
            Self::Avg => "avg",
            Self::Min => "min",
            Self::Max => "max",
            Self::Last => "last",
        }
    }
}

/// One period of an aggregated time series: the days it covers, the folded
/// value, and how many observations went into it, so that a reader can tell
/// a well-measured period from one with a single point.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bucket {
    /// The first day of the period.
    pub start: NaiveDate,
    /// The last day of the period, included.
    pub end: NaiveDate,
    /// The observations of the period folded by the requested [`Aggregate`].
    pub value: f64,
    /// How many observations fell in the period; never 0.
    pub count: usize,
}

/// The running fold of one bucket: every aggregate is kept, since they cost
/// nothing, and the requested one is read at the end.
struct Fold {
    start: NaiveDate,
    sum: f64,
    min: f64,
    max: f64,
    last: f64,
    count: usize,
}

impl Fold {
    fn new(start: NaiveDate, value: f64) -> Self {
        Self {
            start,
            sum: value,
            min: value,
            max: value,
            last: value,
            count: 1,
        }
    }

    fn push(&mut self, value: f64) {
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.last = value;
        self.count += 1;
    }

    fn finish(self, granularity: Granularity, aggregate: Aggregate) -> Bucket {
        let value = match aggregate {
            Aggregate::Sum => self.sum,
            Aggregate::Avg => self.sum / self.count as f64,
            Aggregate::Min => self.min,
            Aggregate::Max => self.max,
            Aggregate::Last => self.last,
        };
        Bucket {
            start: self.start,
            end: granularity.bucket_end(self.start),
            value,
            count: self.count,
        }
    }
}

/// Rolls a metric's observations up into one value per period, so that
/// series of different densities can be charted and compared.
///
/// `points` are `(date, value)` pairs **sorted by date ascending** (several
/// points may share a date); this is checked in debug builds only, as the
/// caller reads them from an ordered query. The result has one bucket per
/// period holding at least one point, in date order: periods without
/// observations are left out rather than reported as 0, since "no data" is
/// not "zero". With [`Aggregate::Last`], the value is that of the latest
/// date in the bucket, and of the last such point in `points` if several
/// share it. Empty input gives an empty series.
pub fn aggregate(
    points: &[(NaiveDate, f64)],
    granularity: Granularity,
    aggregate: Aggregate,
) -> Vec<Bucket> {
    debug_assert!(
        points.windows(2).all(|pair| pair[0].0 <= pair[1].0),
        "points must be sorted by date ascending"
    );
    let mut buckets = Vec::new();
    let mut current: Option<Fold> = None;
    for &(date, value) in points {
        let start = granularity.bucket_start(date);
        match current.as_mut() {
            Some(fold) if fold.start == start => fold.push(value),
            _ => {
                if let Some(done) = current.replace(Fold::new(start, value)) {
                    buckets.push(done.finish(granularity, aggregate));
                }
            }
        }
    }
    if let Some(done) = current {
        buckets.push(done.finish(granularity, aggregate));
    }
    buckets
}

/// The `q` quantile of `sorted` (ascending), by linear interpolation between
/// the closest ranks — numpy's default `"linear"` method — so that published
/// figures can be reproduced with common tools.
///
/// The rank is `(n - 1) * q`; between two ranks the value is interpolated.
/// `None` for an empty slice or a `q` outside `[0, 1]` (NaN included), as no
/// such quantile exists. Sortedness is checked in debug builds only.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    debug_assert!(
        sorted.windows(2).all(|pair| pair[0] <= pair[1]),
        "values must be sorted ascending"
    );
    if !(0.0..=1.0).contains(&q) {
        return None;
    }
    let last = sorted.len().checked_sub(1)?;
    let rank = last as f64 * q;
    let below = rank.floor();
    let fraction = rank - below;
    let low = *sorted.get(below as usize)?;
    let high = *sorted.get(rank.ceil() as usize)?;
    Some(low + (high - low) * fraction)
}

/// How long startups stay in one phase, so that the programme can tell a
/// typical path from an unusual one.
///
/// The figures describe **completed** spans only; spans still running are
/// counted apart in `open`, since their final length is unknown and
/// counting their length so far would pull the figures down.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhaseDurations {
    /// The phase id, e.g. `acceleration`.
    pub phase: String,
    /// How many spans of this phase were completed by the day measured to.
    pub count: usize,
    /// The median length of the completed spans, in days; `None` if none.
    pub median_days: Option<f64>,
    /// The first quartile of the completed spans' lengths, in days.
    pub p25_days: Option<f64>,
    /// The third quartile of the completed spans' lengths, in days.
    pub p75_days: Option<f64>,
    /// How many spans of this phase were still running on the day measured
    /// to; not part of `count` nor of the figures.
    pub open: usize,
}

/// Per phase, how long startups stayed in it, across many startups'
/// histories.
///
/// `histories`: each startup's phase history, in any order. `today`: the day the histories are read on.
/// `order`: phase ids in the order the output lists them; phases found in
/// the histories but absent from `order` are appended in name order. Every
/// phase in `order` gets a row, even with no span at all, so that the
/// output's shape does not depend on the data.
///
/// An explicit `end` is the span's last day, so the span is over from the day
/// after; the next later start in the history closes it even where the
/// record forgot to (real histories hold phases that overlap or start the
/// same day: two spans starting the same day are both closed by the next
/// later start). A span is over at the earliest of those two days; the
/// last span of a history with no `end` has not ended. Then, on `today`:
/// - a span over by `today` is **completed**: it counts in `count` and its
///   length in days (from its start to the day it is over, 0 if the record's
///   end is before its start) goes into the median and quartiles;
/// - a span that started on or before `today` but has not ended by then is
///   **open**: it counts in `open` only;
/// - a span starting after `today` has not begun and counts nowhere.
///
/// Exit phases such as `transfere` or `abandon` get rows like any other;
/// as they usually never end, they mostly show up in `open`.
pub fn phase_durations(
    histories: &[Vec<PhaseSpan>],
    today: NaiveDate,
    order: &[String],
) -> Vec<PhaseDurations> {
    #[derive(Default)]
    struct Tally {
        days: Vec<f64>,
        open: usize,
    }

    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for history in histories {
        for span in history {
            let next_start = history
                .iter()
                .map(|other| other.start)
                .filter(|start| *start > span.start)
                .min();
            let tally = tallies.entry(span.phase.as_str()).or_default();
            if span.start > today {
                continue;
            }
            let day_after_end = span.end.and_then(|end| end.succ_opt());
            match [day_after_end, next_start].into_iter().flatten().min() {
                Some(over) if over <= today => {
                    let days = (over - span.start).num_days().max(0);
                    tally.days.push(days as f64);
                }
                _ => tally.open += 1,
            }
        }
    }

    let row = |phase: &str, tally: Tally| {
        let mut days = tally.days;
        days.sort_by(f64::total_cmp);
        PhaseDurations {
            phase: phase.to_owned(),
            count: days.len(),
            median_days: percentile(&days, 0.5),
            p25_days: percentile(&days, 0.25),
            p75_days: percentile(&days, 0.75),
            open: tally.open,
        }
    };

    let mut rows = Vec::with_capacity(order.len() + tallies.len());
    for phase in order {
        // A phase listed twice in `order` gets one row, at its first place.
        if rows
            .iter()
            .any(|done: &PhaseDurations| &done.phase == phase)
        {
            continue;
        }
        let tally = tallies.remove(phase.as_str()).unwrap_or_default();
        rows.push(row(phase, tally));
    }
    rows.extend(tallies.into_iter().map(|(phase, tally)| row(phase, tally)));
    rows
}

/// Where one startup stands on a day, as the programme reports outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Handed over to an administration (`transfere`) or run by one
    /// (`opere`): the programme's success.
    TransferredOrOperated,
    /// Stopped (`abandon`), including during investigation
    /// (`abandon-investigation`).
    Stopped,
    /// In any other phase: still under way.
    Running,
    /// No phase had started by that day.
    NotStarted,
}

/// Classifies one startup by its current phase on a day: `transfere`/`opere`
/// → transferred or operated; `abandon`/`abandon-investigation` → stopped;
/// any other phase → running; no phase started by then (`None`) → not
/// started. Phase ids are compared exactly, as the records store them.
pub fn classify(current_phase: Option<&str>) -> OutcomeKind {
    match current_phase {
        None => OutcomeKind::NotStarted,
        Some("transfere" | "opere") => OutcomeKind::TransferredOrOperated,
        Some("abandon" | "abandon-investigation") => OutcomeKind::Stopped,
        Some(_) => OutcomeKind::Running,
    }
}

/// How many startups stand where on a day, so that the programme's success
/// rate can be published with its denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Outcomes {
    /// Startups handed over to or run by an administration.
    pub transferred_or_operated: usize,
    /// Startups stopped.
    pub stopped: usize,
    /// Startups in any other phase.
    pub running: usize,
    /// Startups whose first phase had not started yet.
    pub not_started: usize,
}

impl Outcomes {
    /// Counts `count` startups of one kind, classified by [`classify`].
    pub fn add(&mut self, kind: OutcomeKind, count: usize) {
        let counter = match kind {
            OutcomeKind::TransferredOrOperated => &mut self.transferred_or_operated,
            OutcomeKind::Stopped => &mut self.stopped,
            OutcomeKind::Running => &mut self.running,
            OutcomeKind::NotStarted => &mut self.not_started,
        };
        *counter += count;
    }

    /// How many startups were counted, whatever their outcome: the
    /// denominator for any rate drawn from these counts.
    pub fn total(&self) -> usize {
        self.transferred_or_operated + self.stopped + self.running + self.not_started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn span(phase: &str, start: NaiveDate, end: Option<NaiveDate>) -> PhaseSpan {
        PhaseSpan {
            phase: phase.to_owned(),
            start,
            end,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    fn close(actual: Option<f64>, expected: f64) -> bool {
        actual.is_some_and(|value| (value - expected).abs() < 1e-9)
    }

    // ---- Granularity ----

    #[test]
    fn names_match_serde() {
        for granularity in Granularity::ALL {
            let json = serde_json::to_string(&granularity).unwrap();
            assert_eq!(json, format!("\"{}\"", granularity.as_str()));
            let back: Granularity = serde_json::from_str(&json).unwrap();
            assert_eq!(back, granularity);
        }
        for aggregate in Aggregate::ALL {
            let json = serde_json::to_string(&aggregate).unwrap();
            assert_eq!(json, format!("\"{}\"", aggregate.as_str()));
            let back: Aggregate = serde_json::from_str(&json).unwrap();
            assert_eq!(back, aggregate);
        }
        assert!(serde_json::from_str::<Granularity>("\"week\"").is_err());
        assert!(serde_json::from_str::<Aggregate>("\"Sum\"").is_err());
    }

    #[test]
    fn day_buckets_are_single_days() {
        let date = d(2024, 2, 29);
        assert_eq!(Granularity::Day.bucket_start(date), date);
        assert_eq!(Granularity::Day.bucket_end(date), date);
    }

    #[test]
    fn month_buckets() {
        let month = Granularity::Month;
        assert_eq!(month.bucket_start(d(2024, 1, 1)), d(2024, 1, 1));
        assert_eq!(month.bucket_start(d(2024, 1, 31)), d(2024, 1, 1));
        assert_eq!(month.bucket_end(d(2024, 1, 1)), d(2024, 1, 31));
        // February in a leap year, and in a common year.
        assert_eq!(month.bucket_start(d(2024, 2, 29)), d(2024, 2, 1));
        assert_eq!(month.bucket_end(d(2024, 2, 1)), d(2024, 2, 29));
        assert_eq!(month.bucket_end(d(2023, 2, 1)), d(2023, 2, 28));
        assert_eq!(month.bucket_end(d(2024, 4, 1)), d(2024, 4, 30));
        assert_eq!(month.bucket_end(d(2024, 12, 1)), d(2024, 12, 31));
        // A day that is not a bucket start gives the end of its bucket.
        assert_eq!(month.bucket_end(d(2024, 2, 10)), d(2024, 2, 29));
    }

    #[test]
    fn quarter_buckets_start_jan_apr_jul_oct() {
        let quarter = Granularity::Quarter;
        let cases = [
            (d(2024, 1, 1), d(2024, 1, 1), d(2024, 3, 31)),
            (d(2024, 2, 29), d(2024, 1, 1), d(2024, 3, 31)),
            (d(2024, 3, 31), d(2024, 1, 1), d(2024, 3, 31)),
            (d(2024, 4, 1), d(2024, 4, 1), d(2024, 6, 30)),
            (d(2024, 6, 30), d(2024, 4, 1), d(2024, 6, 30)),
            (d(2024, 7, 1), d(2024, 7, 1), d(2024, 9, 30)),
            (d(2024, 9, 30), d(2024, 7, 1), d(2024, 9, 30)),
            (d(2024, 10, 1), d(2024, 10, 1), d(2024, 12, 31)),
            (d(2024, 12, 31), d(2024, 10, 1), d(2024, 12, 31)),
        ];
        for (date, start, end) in cases {
            assert_eq!(quarter.bucket_start(date), start, "start of {date}");
            assert_eq!(quarter.bucket_end(start), end, "end from {start}");
        }
    }

    #[test]
    fn year_buckets() {
        let year = Granularity::Year;
        assert_eq!(year.bucket_start(d(2024, 1, 1)), d(2024, 1, 1));
        assert_eq!(year.bucket_start(d(2024, 12, 31)), d(2024, 1, 1));
        assert_eq!(year.bucket_start(d(2023, 7, 14)), d(2023, 1, 1));
        assert_eq!(year.bucket_end(d(2024, 1, 1)), d(2024, 12, 31));
    }

    #[test]
    fn buckets_at_the_calendar_edges_do_not_panic() {
        for granularity in Granularity::ALL {
            let start = granularity.bucket_start(NaiveDate::MAX);
            assert_eq!(granularity.bucket_end(start), NaiveDate::MAX);
            let first = granularity.bucket_start(NaiveDate::MIN);
            assert_eq!(first, NaiveDate::MIN);
        }
    }

    #[test]
    fn every_day_falls_in_its_bucket() {
        let mut date = d(2023, 12, 1);
        while date <= d(2025, 1, 31) {
            for granularity in Granularity::ALL {
                let start = granularity.bucket_start(date);
                let end = granularity.bucket_end(start);
                assert!(start <= date && date <= end, "{granularity:?} {date}");
                // Buckets tile the calendar: the next one starts the day after.
                let next = end.succ_opt().unwrap();
                assert_eq!(granularity.bucket_start(next), next);
            }
            date = date.succ_opt().unwrap();
        }
    }

    // ---- aggregate ----

    fn series() -> Vec<(NaiveDate, f64)> {
        vec![
            (d(2024, 1, 5), 4.0),
            (d(2024, 1, 20), 1.0),
            (d(2024, 1, 31), 7.0),
            (d(2024, 2, 29), 10.0),
            // No point in March: no March bucket.
            (d(2024, 4, 1), 2.0),
            (d(2024, 4, 1), 3.0),
        ]
    }

    fn values(buckets: &[Bucket]) -> Vec<f64> {
        buckets.iter().map(|bucket| bucket.value).collect()
    }

    #[test]
    fn empty_input_gives_empty_series() {
        for granularity in Granularity::ALL {
            for aggregate_kind in Aggregate::ALL {
                assert!(aggregate(&[], granularity, aggregate_kind).is_empty());
            }
        }
    }

    #[test]
    fn monthly_buckets_skip_empty_months() {
        let buckets = aggregate(&series(), Granularity::Month, Aggregate::Sum);
        let ranges: Vec<_> = buckets.iter().map(|b| (b.start, b.end, b.count)).collect();
        assert_eq!(
            ranges,
            vec![
                (d(2024, 1, 1), d(2024, 1, 31), 3),
                (d(2024, 2, 1), d(2024, 2, 29), 1),
                (d(2024, 4, 1), d(2024, 4, 30), 2),
            ]
        );
    }

    #[test]
    fn each_aggregate() {
        let points = series();
        let month = Granularity::Month;
        let expected = [
            (Aggregate::Sum, vec![12.0, 10.0, 5.0]),
            (Aggregate::Avg, vec![4.0, 10.0, 2.5]),
            (Aggregate::Min, vec![1.0, 10.0, 2.0]),
            (Aggregate::Max, vec![7.0, 10.0, 3.0]),
            // The latest date wins, not the largest value; of two points on
            // the same latest date, the later in the input wins.
            (Aggregate::Last, vec![7.0, 10.0, 3.0]),
        ];
        for (aggregate_kind, want) in expected {
            let buckets = aggregate(&points, month, aggregate_kind);
            assert_eq!(values(&buckets), want, "{}", aggregate_kind.as_str());
        }
    }

    #[test]
    fn last_is_the_latest_date_not_the_largest_value() {
        let points = [(d(2024, 5, 1), 100.0), (d(2024, 5, 31), 40.0)];
        let buckets = aggregate(&points, Granularity::Month, Aggregate::Last);
        assert_eq!(values(&buckets), vec![40.0]);
    }

    #[test]
    fn aggregate_by_day() {
        let buckets = aggregate(&series(), Granularity::Day, Aggregate::Sum);
        assert_eq!(values(&buckets), vec![4.0, 1.0, 7.0, 10.0, 5.0]);
        assert!(buckets.iter().all(|b| b.start == b.end));
        assert_eq!(buckets[4].count, 2);
    }

    #[test]
    fn aggregate_by_quarter_splits_at_april_first() {
        let points = [
            (d(2024, 1, 1), 1.0),
            (d(2024, 3, 31), 2.0),
            (d(2024, 4, 1), 4.0),
            (d(2024, 12, 31), 8.0),
        ];
        let buckets = aggregate(&points, Granularity::Quarter, Aggregate::Sum);
        let got: Vec<_> = buckets.iter().map(|b| (b.start, b.end, b.value)).collect();
        assert_eq!(
            got,
            vec![
                (d(2024, 1, 1), d(2024, 3, 31), 3.0),
                (d(2024, 4, 1), d(2024, 6, 30), 4.0),
                (d(2024, 10, 1), d(2024, 12, 31), 8.0),
            ]
        );
    }

    #[test]
    fn aggregate_by_year_splits_at_new_year() {
        let points = [
            (d(2023, 12, 31), 1.0),
            (d(2024, 1, 1), 2.0),
            (d(2024, 12, 31), 3.0),
        ];
        let buckets = aggregate(&points, Granularity::Year, Aggregate::Avg);
        let got: Vec<_> = buckets.iter().map(|b| (b.start, b.end, b.value)).collect();
        assert_eq!(
            got,
            vec![
                (d(2023, 1, 1), d(2023, 12, 31), 1.0),
                (d(2024, 1, 1), d(2024, 12, 31), 2.5),
            ]
        );
    }

    #[test]
    fn bucket_serializes_dates_as_iso() {
        let buckets = aggregate(&[(d(2024, 2, 3), 1.5)], Granularity::Month, Aggregate::Sum);
        let json = serde_json::to_value(&buckets[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"start": "2024-02-01", "end": "2024-02-29", "value": 1.5, "count": 1})
        );
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "sorted by date")]
    fn unsorted_points_are_caught_in_debug_builds() {
        let points = [(d(2024, 2, 1), 1.0), (d(2024, 1, 1), 2.0)];
        aggregate(&points, Granularity::Month, Aggregate::Sum);
    }

    // ---- percentile ----

    #[test]
    fn percentile_matches_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 75, 100])
        // == [1.0, 1.75, 2.5, 3.25, 4.0]
        let values = [1.0, 2.0, 3.0, 4.0];
        assert!(close(percentile(&values, 0.0), 1.0));
        assert!(close(percentile(&values, 0.25), 1.75));
        assert!(close(percentile(&values, 0.5), 2.5));
        assert!(close(percentile(&values, 0.75), 3.25));
        assert!(close(percentile(&values, 1.0), 4.0));
        // numpy.percentile([10, 20, 40], [10, 50, 90]) == [12.0, 20.0, 36.0]
        let values = [10.0, 20.0, 40.0];
        assert!(close(percentile(&values, 0.1), 12.0));
        assert!(close(percentile(&values, 0.5), 20.0));
        assert!(close(percentile(&values, 0.9), 36.0));
        // numpy.percentile([0, 1, 5, 6, 100], 30) == 1.8 (rank 1.2)
        assert!(close(percentile(&[0.0, 1.0, 5.0, 6.0, 100.0], 0.3), 1.8));
    }

    #[test]
    fn percentile_of_one_value_is_that_value() {
        for q in [0.0, 0.25, 0.5, 1.0] {
            assert_eq!(percentile(&[7.0], q), Some(7.0));
        }
    }

    #[test]
    fn percentile_none_when_undefined() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[1.0, 2.0], -0.1), None);
        assert_eq!(percentile(&[1.0, 2.0], 1.1), None);
        assert_eq!(percentile(&[1.0, 2.0], f64::NAN), None);
    }

    // ---- phase_durations ----

    fn row<'a>(rows: &'a [PhaseDurations], phase: &str) -> &'a PhaseDurations {
        rows.iter().find(|row| row.phase == phase).unwrap()
    }

    #[test]
    fn next_span_closes_the_previous_one() {
        let today = d(2025, 1, 1);
        let histories = vec![vec![
            span("investigation", d(2024, 1, 1), None),
            span("construction", d(2024, 1, 31), None),
            span("acceleration", d(2024, 3, 1), None),
        ]];
        let rows = phase_durations(&histories, today, &[]);
        let investigation = row(&rows, "investigation");
        assert_eq!(investigation.count, 1);
        assert_eq!(investigation.median_days, Some(30.0));
        assert_eq!(investigation.open, 0);
        // 2024 is a leap year: Jan 31st to Mar 1st is 30 days.
        assert_eq!(row(&rows, "construction").median_days, Some(30.0));
    }

    #[test]
    fn earliest_of_explicit_end_and_next_start_wins() {
        let today = d(2025, 1, 1);
        let histories = vec![
            // The explicit end is earlier than the next start: it wins.
            vec![
                span("investigation", d(2024, 1, 1), Some(d(2024, 1, 11))),
                span("construction", d(2024, 2, 1), None),
            ],
            // The explicit end is later than the next start (overlap): the
            // next start wins.
            vec![
                span("investigation", d(2024, 1, 1), Some(d(2024, 6, 1))),
                span("construction", d(2024, 1, 21), None),
            ],
        ];
        let rows = phase_durations(&histories, today, &[]);
        let investigation = row(&rows, "investigation");
        assert_eq!(investigation.count, 2);
        // 11 days (Jan 1st to Jan 11th, both included) and 20 days (closed on Jan 21st).
        assert_eq!(investigation.p25_days, Some(13.25));
        assert_eq!(investigation.median_days, Some(15.5));
        assert_eq!(investigation.p75_days, Some(17.75));
    }

    #[test]
    fn explicit_end_closes_the_last_span() {
        let today = d(2025, 1, 1);
        let histories = vec![vec![span("abandon", d(2024, 1, 1), Some(d(2024, 1, 8)))]];
        let rows = phase_durations(&histories, today, &[]);
        let abandon = row(&rows, "abandon");
        assert_eq!((abandon.count, abandon.open), (1, 0));
        // Jan 1st to Jan 8th, both days included.
        assert_eq!(abandon.median_days, Some(8.0));
    }

    #[test]
    fn open_spans_are_counted_apart_from_the_figures() {
        let today = d(2025, 1, 1);
        let histories = vec![
            vec![
                span("construction", d(2024, 1, 1), None),
                span("acceleration", d(2024, 1, 11), None),
            ],
            // Still in construction after a year: open, not in the median.
            vec![span("construction", d(2024, 1, 1), None)],
            // An end still to come is not an end yet.
            vec![span("construction", d(2024, 6, 1), Some(d(2025, 6, 1)))],
            // A next phase planned after today has not closed this one yet.
            vec![
                span("construction", d(2024, 6, 1), None),
                span("acceleration", d(2025, 3, 1), None),
            ],
        ];
        let rows = phase_durations(&histories, today, &[]);
        let construction = row(&rows, "construction");
        assert_eq!(construction.count, 1);
        assert_eq!(construction.open, 3);
        assert_eq!(construction.median_days, Some(10.0));
        assert_eq!(construction.p25_days, Some(10.0));
        assert_eq!(construction.p75_days, Some(10.0));
        // The first acceleration is open; the planned one has not begun.
        let acceleration = row(&rows, "acceleration");
        assert_eq!((acceleration.count, acceleration.open), (0, 1));
        assert_eq!(acceleration.median_days, None);
    }

    #[test]
    fn a_span_closed_today_is_completed_one_ending_today_is_not_yet() {
        let today = d(2024, 1, 11);
        let histories = vec![
            vec![span("investigation", d(2024, 1, 1), Some(today))],
            vec![
                span("investigation", d(2024, 1, 1), None),
                span("construction", today, None),
            ],
        ];
        let rows = phase_durations(&histories, today, &[]);
        let investigation = row(&rows, "investigation");
        // The first one's last day is today: still running. The second was closed this
        // morning by construction.
        assert_eq!((investigation.count, investigation.open), (1, 1));
        assert_eq!(investigation.median_days, Some(10.0));
        assert_eq!(row(&rows, "construction").open, 1);
    }

    #[test]
    fn same_day_spans_are_both_closed_by_the_next_later_start() {
        let today = d(2025, 1, 1);
        let histories = vec![
            vec![
                span("investigation", d(2024, 1, 1), None),
                span("construction", d(2024, 1, 1), None),
                span("acceleration", d(2024, 1, 11), None),
            ],
            vec![span("investigation", d(2024, 1, 10), Some(d(2024, 1, 5)))],
        ];
        let rows = phase_durations(&histories, today, &[]);
        let investigation = row(&rows, "investigation");
        assert_eq!(investigation.count, 2);
        // 10 days, and 0 for the span that ends before it starts.
        assert_eq!(investigation.median_days, Some(5.0));
        assert_eq!(row(&rows, "construction").median_days, Some(10.0));
        assert_eq!(row(&rows, "acceleration").open, 1);
    }

    #[test]
    fn rows_follow_order_then_names() {
        let today = d(2025, 1, 1);
        let histories = vec![vec![
            span("zeta", d(2024, 1, 1), None),
            span("construction", d(2024, 2, 1), None),
            span("alpha", d(2024, 3, 1), None),
            span("investigation", d(2024, 4, 1), None),
        ]];
        let order = names(&[
            "investigation",
            "construction",
            "acceleration",
            "construction",
        ]);
        let rows = phase_durations(&histories, today, &order);
        let phases: Vec<_> = rows.iter().map(|row| row.phase.as_str()).collect();
        // Listed phases first, in `order`'s order, once each, even without
        // spans; then the others by name.
        assert_eq!(
            phases,
            [
                "investigation",
                "construction",
                "acceleration",
                "alpha",
                "zeta"
            ]
        );
        let acceleration = row(&rows, "acceleration");
        assert_eq!(
            (
                acceleration.count,
                acceleration.open,
                acceleration.median_days
            ),
            (0, 0, None)
        );
        assert_eq!((acceleration.p25_days, acceleration.p75_days), (None, None));
    }

    #[test]
    fn no_histories_gives_one_empty_row_per_ordered_phase() {
        let order = names(&["investigation", "construction"]);
        let rows = phase_durations(&[], d(2025, 1, 1), &order);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|row| row.count == 0 && row.open == 0));
        assert!(phase_durations(&[], d(2025, 1, 1), &[]).is_empty());
    }

    #[test]
    fn exit_phases_get_rows() {
        let today = d(2025, 1, 1);
        let histories = vec![
            vec![
                span("acceleration", d(2022, 1, 1), None),
                span("transfere", d(2024, 1, 1), None),
            ],
            vec![
                span("construction", d(2023, 1, 1), None),
                span("abandon", d(2023, 6, 1), None),
            ],
        ];
        let order = names(&["construction", "acceleration", "transfere", "abandon"]);
        let rows = phase_durations(&histories, today, &order);
        assert_eq!(rows.len(), 4);
        for exit in ["transfere", "abandon"] {
            let exit_row = row(&rows, exit);
            assert_eq!((exit_row.count, exit_row.open), (0, 1));
        }
        assert_eq!(row(&rows, "acceleration").median_days, Some(730.0));
    }

    #[test]
    fn quartiles_over_many_histories() {
        let today = d(2025, 1, 1);
        let start = d(2024, 1, 1);
        // Investigation spans of 10, 20, 30 and 40 days, given out of order.
        let histories: Vec<_> = [30, 10, 40, 20]
            .into_iter()
            .map(|days| {
                vec![
                    span("investigation", start, None),
                    span("construction", start + Days::new(days), None),
                ]
            })
            .collect();
        let rows = phase_durations(&histories, today, &names(&["investigation"]));
        let investigation = &rows[0];
        assert_eq!(investigation.count, 4);
        assert!(close(investigation.p25_days, 17.5));
        assert!(close(investigation.median_days, 25.0));
        assert!(close(investigation.p75_days, 32.5));
        assert_eq!(row(&rows, "construction").open, 4);
    }

    #[test]
    fn the_order_of_a_history_does_not_change_durations() {
        let sorted = vec![vec![
            span("investigation", d(2024, 1, 1), None),
            span("construction", d(2024, 2, 1), None),
        ]];
        let reversed = vec![sorted[0].iter().rev().cloned().collect()];
        let today = d(2025, 1, 1);
        assert_eq!(
            phase_durations(&sorted, today, &[]),
            phase_durations(&reversed, today, &[])
        );
    }

    // ---- outcomes ----

    #[test]
    fn classify_phases() {
        assert_eq!(
            classify(Some("transfere")),
            OutcomeKind::TransferredOrOperated
        );
        assert_eq!(classify(Some("opere")), OutcomeKind::TransferredOrOperated);
        assert_eq!(classify(Some("abandon")), OutcomeKind::Stopped);
        assert_eq!(
            classify(Some("abandon-investigation")),
            OutcomeKind::Stopped
        );
        for running in ["investigation", "construction", "acceleration", "alumni"] {
            assert_eq!(classify(Some(running)), OutcomeKind::Running, "{running}");
        }
        // Exact ids only: a near miss is not an exit.
        assert_eq!(classify(Some("Transfere")), OutcomeKind::Running);
        assert_eq!(classify(None), OutcomeKind::NotStarted);
    }

    #[test]
    fn outcomes_add_and_total() {
        let mut outcomes = Outcomes::default();
        assert_eq!(outcomes.total(), 0);
        for phase in [
            Some("transfere"),
            Some("opere"),
            Some("abandon"),
            Some("construction"),
            Some("acceleration"),
            Some("investigation"),
            None,
        ] {
            outcomes.add(classify(phase), 1);
        }
        assert_eq!(
            outcomes,
            Outcomes {
                transferred_or_operated: 2,
                stopped: 1,
                running: 3,
                not_started: 1,
            }
        );
        assert_eq!(outcomes.total(), 7);
        let json = serde_json::to_value(outcomes).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "transferred_or_operated": 2, "stopped": 1, "running": 3, "not_started": 1
            })
        );
    }
}
