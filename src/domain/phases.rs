//! Rules and queries over a startup's phase history.
//!
//! A history is a list of spans, each naming a phase (investigation,
//! construction, acceleration…) and the dates it covers. The records are
//! edited by hand, so they are checked before being trusted, and the queries
//! here do not assume the list is in order.

use chrono::NaiveDate;

/// One phase of a startup's life, from `start` to `end`.
/// The phases of the method and the ways out of it, in the reference's order; the stable
/// per-phase columns of exports follow it.
pub const REFERENCE_PHASES: [&str; 8] = [
    "investigation",
    "construction",
    "acceleration",
    "consolidation",
    "transfere",
    "abandon",
    "abandon-investigation",
    "opere",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseSpan {
    /// The phase's name as written in the record, e.g. `acceleration`.
    pub phase: String,
    /// The first day of the phase.
    pub start: NaiveDate,
    /// The last day of the phase, or `None` while it is open. An open span
    /// followed by another is closed by the next one's start.
    pub end: Option<NaiveDate>,
}

/// A way in which a phase history breaks the rules that
/// [`validate_history`] checks.
///
/// Each violation names the span at fault by its position in the history
/// (`index`, counted from 0) and, through [`field`](Self::field), which of
/// its fields to correct, so that a caller can point a person at the exact
/// input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhaseRuleViolation {
    /// The phase name is not one of the known phases.
    #[error("phase {index}: `{phase}` is not a known phase")]
    UnknownPhase { index: usize, phase: String },
    /// The span ends before it starts.
    #[error("phase {index} ends on {end}, before it starts on {start}")]
    EndBeforeStart {
        index: usize,
        start: NaiveDate,
        end: NaiveDate,
    },
    /// The span starts on or before the day the previous span starts, so the
    /// history is out of order or holds two phases starting the same day.
    #[error(
        "phase {index} starts on {start}, which is not after the previous phase's start on {previous_start}"
    )]
    NotChronological {
        index: usize,
        start: NaiveDate,
        previous_start: NaiveDate,
    },
    /// The span starts before the day the previous span explicitly ends.
    #[error("phase {index} starts on {start}, before the previous phase ends on {previous_end}")]
    Overlap {
        index: usize,
        start: NaiveDate,
        previous_end: NaiveDate,
    },
}

impl PhaseRuleViolation {
    /// The position in the history of the span at fault.
    pub fn index(&self) -> usize {
        match self {
            Self::UnknownPhase { index, .. }
            | Self::EndBeforeStart { index, .. }
            | Self::NotChronological { index, .. }
            | Self::Overlap { index, .. } => *index,
        }
    }

    /// The field of span [`index`](Self::index) to correct: `"phase"`,
    /// `"end"` or `"start"`.
    ///
    /// Ordering faults are blamed on the later span's start, since that is
    /// the value that breaks the sequence the earlier spans set up.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownPhase { .. } => "phase",
            Self::EndBeforeStart { .. } => "end",
            Self::NotChronological { .. } | Self::Overlap { .. } => "start",
        }
    }
}

/// Checks a phase history and returns every rule it breaks, in the order of
/// the spans (empty when the history is valid).
///
/// The rules are:
/// - every phase name satisfies `is_known_phase`;
/// - no span ends before it starts;
/// - each span starts strictly after the previous one in the list;
/// - no span starts before the previous span's explicit end; starting on
///   the day it ends is allowed, and an open previous span is simply closed
///   by this start.
///
/// All violations are reported, not only the first, so a person can fix a
/// record in one pass. A span that starts too early is reported once: as
/// [`NotChronological`](PhaseRuleViolation::NotChronological) if it is out
/// of order, otherwise as [`Overlap`](PhaseRuleViolation::Overlap) if it
/// overlaps, since an overlap with a span it should precede means nothing
/// until the order is fixed.
pub fn validate_history(
    history: &[PhaseSpan],
    is_known_phase: impl Fn(&str) -> bool,
) -> Vec<PhaseRuleViolation> {
    let mut violations = Vec::new();
    for (index, span) in history.iter().enumerate() {
        if !is_known_phase(&span.phase) {
            violations.push(PhaseRuleViolation::UnknownPhase {
                index,
                phase: span.phase.clone(),
            });
        }
        if let Some(end) = span.end
            && end < span.start
        {
            violations.push(PhaseRuleViolation::EndBeforeStart {
                index,
                start: span.start,
                end,
            });
        }
        let Some(previous) = index.checked_sub(1).and_then(|i| history.get(i)) else {
            continue;
        };
        if span.start <= previous.start {
            violations.push(PhaseRuleViolation::NotChronological {
                index,
                start: span.start,
                previous_start: previous.start,
            });
        } else if let Some(previous_end) = previous.end
            && span.start < previous_end
        {
            violations.push(PhaseRuleViolation::Overlap {
                index,
                start: span.start,
                previous_end,
            });
        }
    }
    violations
}

/// Orders a history by start date, keeping the relative order of spans that
/// start the same day, so that a record can be shown and validated in
/// reading order without reshuffling ties.
pub fn sort_chronologically(history: &mut [PhaseSpan]) {
    history.sort_by_key(|span| span.start);
}

/// The phase a startup is in on the day `on`: the span with the latest start on or before
/// `on`, and on a tie the first one listed, which is beta.gouv.fr's rule (`latest_phase` of its
/// `Startup` model, Ruby's `max_by`); `None` if no phase has started yet.
///
/// The history is read in the source's order and need not be sorted: real histories hold
/// phases that start the same day and phases that overlap, and are kept as they are. The
/// latest started phase stays current even past its explicit end, until another phase starts:
/// a gap in the record means the next phase was not entered yet, not that the startup left the
/// programme.
pub fn current_phase(history: &[PhaseSpan], on: NaiveDate) -> Option<&PhaseSpan> {
    history
        .iter()
        .rev()
        .filter(|span| span.start <= on)
        .max_by_key(|span| span.start)
}

/// For each span of a history, in the source's order, the first day on which it is no longer
/// the current phase ([`current_phase`]): the next later start in the history, `None` when no
/// later phase starts, and its own start when an earlier-listed span starts the same day (such
/// a span is never current). Span `i` is current on day `d` exactly when
/// `start <= d < until[i]`.
pub fn current_until(history: &[PhaseSpan]) -> Vec<Option<NaiveDate>> {
    history
        .iter()
        .enumerate()
        .map(|(i, span)| {
            if history[..i]
                .iter()
                .any(|earlier| earlier.start == span.start)
            {
                return Some(span.start);
            }
            history
                .iter()
                .map(|other| other.start)
                .filter(|start| *start > span.start)
                .min()
        })
        .collect()
}

/// The position of the startup's latest phase in its history: the latest start, the first
/// listed on a tie ([`current_phase`] on the last day of time).
pub fn latest_position(history: &[PhaseSpan]) -> Option<usize> {
    history
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|(_, span)| span.start)
        .map(|(i, _)| i)
}

/// The startup's creation date, taken as the earliest start in its history,
/// whatever the order of the spans; `None` for an empty history.
pub fn first_start(history: &[PhaseSpan]) -> Option<NaiveDate> {
    history.iter().map(|span| span.start).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN_PHASES: [&str; 5] = [
        "investigation",
        "construction",
        "acceleration",
        "transfert",
        "alumni",
    ];

    fn is_known(phase: &str) -> bool {
        KNOWN_PHASES.contains(&phase)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn span(phase: &str, start: &str, end: Option<&str>) -> PhaseSpan {
        PhaseSpan {
            phase: phase.to_owned(),
            start: date(start),
            end: end.map(date),
        }
    }

    fn typical_history() -> Vec<PhaseSpan> {
        vec![
            span("investigation", "2019-01-15", Some("2019-06-30")),
            span("construction", "2019-07-01", Some("2020-03-01")),
            span("acceleration", "2020-03-01", None),
        ]
    }

    #[test]
    fn accepts_a_typical_history() {
        assert_eq!(validate_history(&typical_history(), is_known), vec![]);
    }

    #[test]
    fn accepts_empty_and_single_span_histories() {
        assert_eq!(validate_history(&[], is_known), vec![]);
        let single = [span("investigation", "2019-01-15", None)];
        assert_eq!(validate_history(&single, is_known), vec![]);
    }

    #[test]
    fn accepts_an_open_span_closed_by_the_next_start() {
        let history = [
            span("investigation", "2019-01-15", None),
            span("construction", "2019-07-01", None),
            span("acceleration", "2020-03-01", None),
        ];
        assert_eq!(validate_history(&history, is_known), vec![]);
    }

    #[test]
    fn accepts_a_gap_between_spans() {
        let history = [
            span("investigation", "2019-01-15", Some("2019-02-01")),
            span("construction", "2019-07-01", None),
        ];
        assert_eq!(validate_history(&history, is_known), vec![]);
    }

    #[test]
    fn accepts_a_one_day_span() {
        let history = [span("investigation", "2019-01-15", Some("2019-01-15"))];
        assert_eq!(validate_history(&history, is_known), vec![]);
    }

    #[test]
    fn reports_unknown_phases() {
        let history = [
            span("investigation", "2019-01-15", None),
            span("Construction", "2019-07-01", None),
        ];
        let violations = validate_history(&history, is_known);
        assert_eq!(
            violations,
            vec![PhaseRuleViolation::UnknownPhase {
                index: 1,
                phase: "Construction".to_owned()
            }]
        );
        assert_eq!(violations[0].field(), "phase");
        assert_eq!(
            violations[0].to_string(),
            "phase 1: `Construction` is not a known phase"
        );
    }

    #[test]
    fn reports_an_end_before_the_start() {
        let history = [span("acceleration", "2020-03-01", Some("2020-01-01"))];
        let violations = validate_history(&history, is_known);
        assert_eq!(
            violations,
            vec![PhaseRuleViolation::EndBeforeStart {
                index: 0,
                start: date("2020-03-01"),
                end: date("2020-01-01"),
            }]
        );
        assert_eq!(violations[0].index(), 0);
        assert_eq!(violations[0].field(), "end");
        assert_eq!(
            violations[0].to_string(),
            "phase 0 ends on 2020-01-01, before it starts on 2020-03-01"
        );
    }

    #[test]
    fn reports_spans_out_of_order() {
        let history = [
            span("construction", "2019-07-01", None),
            span("investigation", "2019-01-15", None),
        ];
        let violations = validate_history(&history, is_known);
        assert_eq!(
            violations,
            vec![PhaseRuleViolation::NotChronological {
                index: 1,
                start: date("2019-01-15"),
                previous_start: date("2019-07-01"),
            }]
        );
        assert_eq!(violations[0].field(), "start");
        assert_eq!(
            violations[0].to_string(),
            "phase 1 starts on 2019-01-15, which is not after the previous phase's start on 2019-07-01"
        );
    }

    #[test]
    fn reports_two_spans_starting_the_same_day() {
        let history = [
            span("investigation", "2019-01-15", None),
            span("construction", "2019-01-15", None),
        ];
        assert_eq!(
            validate_history(&history, is_known),
            vec![PhaseRuleViolation::NotChronological {
                index: 1,
                start: date("2019-01-15"),
                previous_start: date("2019-01-15"),
            }]
        );
    }

    #[test]
    fn reports_a_start_before_the_previous_end() {
        let history = [
            span("investigation", "2019-01-15", Some("2019-08-01")),
            span("construction", "2019-07-01", None),
        ];
        let violations = validate_history(&history, is_known);
        assert_eq!(
            violations,
            vec![PhaseRuleViolation::Overlap {
                index: 1,
                start: date("2019-07-01"),
                previous_end: date("2019-08-01"),
            }]
        );
        assert_eq!(violations[0].field(), "start");
        assert_eq!(
            violations[0].to_string(),
            "phase 1 starts on 2019-07-01, before the previous phase ends on 2019-08-01"
        );
    }

    #[test]
    fn allows_a_start_on_the_previous_end_day_but_not_the_day_before() {
        let touching = [
            span("investigation", "2019-01-15", Some("2019-07-01")),
            span("construction", "2019-07-01", None),
        ];
        assert_eq!(validate_history(&touching, is_known), vec![]);

        let overlapping = [
            span("investigation", "2019-01-15", Some("2019-07-01")),
            span("construction", "2019-06-30", None),
        ];
        assert_eq!(
            validate_history(&overlapping, is_known),
            vec![PhaseRuleViolation::Overlap {
                index: 1,
                start: date("2019-06-30"),
                previous_end: date("2019-07-01"),
            }]
        );
    }

    #[test]
    fn reports_an_out_of_order_span_once_not_also_as_overlapping() {
        let history = [
            span("construction", "2019-07-01", Some("2020-01-01")),
            span("investigation", "2019-01-15", None),
        ];
        let violations = validate_history(&history, is_known);
        assert_eq!(violations.len(), 1);
        assert!(matches!(
            violations[0],
            PhaseRuleViolation::NotChronological { index: 1, .. }
        ));
    }

    #[test]
    fn reports_every_violation_in_span_order() {
        let history = [
            span("investigation", "2019-01-15", Some("2019-08-01")),
            span("construction", "2019-07-01", Some("2019-06-01")),
            span("beta", "2019-03-01", None),
            span("acceleration", "2020-01-01", Some("2020-06-01")),
            span("alumni", "2020-05-01", None),
        ];
        let violations = validate_history(&history, is_known);
        let located: Vec<(usize, &str)> = violations
            .iter()
            .map(|violation| (violation.index(), violation.field()))
            .collect();
        assert_eq!(
            located,
            vec![
                (1, "end"),
                (1, "start"),
                (2, "phase"),
                (2, "start"),
                (4, "start")
            ]
        );
        assert!(matches!(violations[1], PhaseRuleViolation::Overlap { .. }));
        assert!(matches!(
            violations[3],
            PhaseRuleViolation::NotChronological { .. }
        ));
        assert!(matches!(violations[4], PhaseRuleViolation::Overlap { .. }));
    }

    #[test]
    fn compares_against_the_span_just_before_in_the_list() {
        // Span 2 starts after span 1 but before span 0 ends; only the
        // immediate predecessor is checked, and span 1 is already reported.
        let history = [
            span("investigation", "2019-01-15", Some("2019-12-31")),
            span("construction", "2019-03-01", None),
            span("acceleration", "2019-06-01", None),
        ];
        let violations = validate_history(&history, is_known);
        assert_eq!(
            violations,
            vec![PhaseRuleViolation::Overlap {
                index: 1,
                start: date("2019-03-01"),
                previous_end: date("2019-12-31"),
            }]
        );
    }

    #[test]
    fn sorts_by_start_keeping_ties_in_place() {
        let mut history = vec![
            span("acceleration", "2020-03-01", None),
            span("investigation", "2019-01-15", None),
            span("construction", "2019-07-01", None),
            span("alumni", "2019-07-01", None),
        ];
        sort_chronologically(&mut history);
        let phases: Vec<&str> = history.iter().map(|span| span.phase.as_str()).collect();
        assert_eq!(
            phases,
            ["investigation", "construction", "alumni", "acceleration"]
        );
    }

    #[test]
    fn sorting_a_shuffled_valid_history_makes_it_valid_again() {
        let mut history = typical_history();
        history.reverse();
        assert!(!validate_history(&history, is_known).is_empty());
        sort_chronologically(&mut history);
        assert_eq!(history, typical_history());
    }

    #[test]
    fn current_phase_is_the_latest_started() {
        let history = typical_history();
        let phase_on =
            |day: &str| current_phase(&history, date(day)).map(|span| span.phase.as_str());
        assert_eq!(phase_on("2019-01-15"), Some("investigation"));
        assert_eq!(phase_on("2019-06-30"), Some("investigation"));
        assert_eq!(phase_on("2019-07-01"), Some("construction"));
        assert_eq!(phase_on("2020-02-29"), Some("construction"));
        assert_eq!(phase_on("2020-03-01"), Some("acceleration"));
        assert_eq!(phase_on("2030-01-01"), Some("acceleration"));
    }

    #[test]
    fn no_current_phase_before_the_first_start() {
        assert_eq!(current_phase(&typical_history(), date("2019-01-14")), None);
        assert_eq!(current_phase(&[], date("2019-01-14")), None);
    }

    #[test]
    fn current_phase_does_not_need_sorted_input() {
        let mut history = typical_history();
        history.swap(0, 2);
        let current = current_phase(&history, date("2019-08-01"));
        assert_eq!(
            current.map(|span| span.phase.as_str()),
            Some("construction")
        );
    }

    #[test]
    fn current_phase_outlives_its_explicit_end_until_another_starts() {
        let history = [
            span("investigation", "2019-01-15", Some("2019-02-01")),
            span("construction", "2019-07-01", Some("2020-01-01")),
        ];
        let phase_on =
            |day: &str| current_phase(&history, date(day)).map(|span| span.phase.as_str());
        assert_eq!(phase_on("2019-04-01"), Some("investigation"));
        assert_eq!(phase_on("2025-01-01"), Some("construction"));
    }

    #[test]
    fn current_phase_is_the_first_listed_of_two_spans_starting_the_same_day() {
        let history = [
            span("investigation", "2019-01-15", None),
            span("construction", "2019-01-15", None),
        ];
        let current = current_phase(&history, date("2019-02-01"));
        assert_eq!(
            current.map(|span| span.phase.as_str()),
            Some("investigation")
        );
        assert_eq!(latest_position(&history), Some(0));
    }

    #[test]
    fn current_until_agrees_with_current_phase_on_every_day() {
        // Out of order, a same-day tie listed second, and an overlap.
        let history = [
            span("acceleration", "2020-03-01", None),
            span("investigation", "2019-01-15", Some("2019-12-31")),
            span("construction", "2019-06-01", None),
            span("alumni", "2019-06-01", None),
        ];
        let until = current_until(&history);
        assert_eq!(
            until,
            vec![
                None,
                Some(date("2019-06-01")),
                Some(date("2020-03-01")),
                Some(date("2019-06-01")),
            ]
        );
        let mut day = date("2019-01-01");
        while day < date("2020-06-01") {
            let by_rows: Vec<usize> = (0..history.len())
                .filter(|&i| history[i].start <= day && until[i].is_none_or(|u| day < u))
                .collect();
            let expected = current_phase(&history, day)
                .map(|current| history.iter().position(|s| std::ptr::eq(s, current)));
            assert_eq!(by_rows.first().copied(), expected.flatten(), "{day}");
            assert!(by_rows.len() <= 1, "{day}: {by_rows:?}");
            day = day.succ_opt().expect("a next day");
        }
        assert_eq!(latest_position(&history), Some(0));
    }

    #[test]
    fn first_start_is_the_earliest_start_in_any_order() {
        assert_eq!(first_start(&typical_history()), Some(date("2019-01-15")));
        let mut reversed = typical_history();
        reversed.reverse();
        assert_eq!(first_start(&reversed), Some(date("2019-01-15")));
        assert_eq!(first_start(&[]), None);
    }
}
