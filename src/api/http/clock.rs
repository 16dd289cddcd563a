//! What "today" is for the API. Answers depend on it (current phases, counts per phase, the
//! day that `Last-Modified` cannot precede), so the response cache keys on it; tests set it to
//! see a new day without waiting for midnight.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use chrono::{Datelike, NaiveDate, Utc};

/// The system's UTC date, or a day set by hand.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// The day set, as days since 0001-01-01 (day 1); `None` follows the system's clock.
    fixed: Option<Arc<AtomicI32>>,
}

impl Clock {
    /// Follows the system's clock, in UTC.
    pub fn system() -> Self {
        Self::default()
    }

    /// Stays on `day` until [`Clock::set`] moves it; every clone shares the change.
    pub fn fixed(day: NaiveDate) -> Self {
        Self {
            fixed: Some(Arc::new(AtomicI32::new(day.num_days_from_ce()))),
        }
    }

    /// Moves a fixed clock to `day`; `false` (and no change) for the system's clock.
    pub fn set(&self, day: NaiveDate) -> bool {
        match &self.fixed {
            Some(days) => {
                days.store(day.num_days_from_ce(), Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Today.
    pub fn today(&self) -> NaiveDate {
        self.fixed
            .as_ref()
            .and_then(|days| NaiveDate::from_num_days_from_ce_opt(days.load(Ordering::Relaxed)))
            .unwrap_or_else(|| Utc::now().date_naive())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_set_and_for_every_clone() {
        let day = NaiveDate::from_ymd_opt(2030, 12, 31).expect("date");
        let clock = Clock::fixed(day);
        let clone = clock.clone();
        assert_eq!(clone.today(), day);
        let next = day.succ_opt().expect("next day");
        assert!(clock.set(next));
        assert_eq!(clone.today(), next);
    }

    #[test]
    fn the_system_clock_cannot_be_set() {
        let clock = Clock::system();
        let day = NaiveDate::from_ymd_opt(2001, 1, 1).expect("date");
        assert!(!clock.set(day));
        assert_ne!(clock.today(), day);
    }
}
