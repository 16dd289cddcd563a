//! A value read from the database, kept for the requests that see the same data revision.
//!
//! A request's revision is read before its answer (see `api::http::caching`), and the value
//! is read after that: kept under that revision, it holds every write up to it. A request
//! that sees another revision reads the value again, so a write is seen by the very next read.

use std::sync::{Mutex, PoisonError};

/// One value and the data revision it was read at.
#[derive(Debug)]
pub struct AtRevision<T> {
    kept: Mutex<Option<(i64, T)>>,
}

/// Empty, whatever `T` is.
impl<T> Default for AtRevision<T> {
    fn default() -> Self {
        Self {
            kept: Mutex::new(None),
        }
    }
}

impl<T: Clone> AtRevision<T> {
    /// The value kept for `revision`, if any.
    pub fn get(&self, revision: i64) -> Option<T> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.as_ref()
            .filter(|(at, _)| *at == revision)
            .map(|(_, value)| value.clone())
    }

    /// Keeps `value`, read after `revision` was; a value kept for a later revision stays.
    pub fn put(&self, revision: i64, value: T) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.as_ref().is_none_or(|(at, _)| *at <= revision) {
            *kept = Some((revision, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_serves_its_own_revision_only() {
        let phases = AtRevision::default();
        assert_eq!(phases.get(3), None);
        phases.put(3, "a");
        assert_eq!(phases.get(3), Some("a"));
        assert_eq!(phases.get(4), None, "a later revision reads again");
        assert_eq!(phases.get(2), None);
        phases.put(4, "b");
        assert_eq!(phases.get(4), Some("b"));
        phases.put(3, "late");
        assert_eq!(
            phases.get(4),
            Some("b"),
            "a slower read of an older revision"
        );
        assert_eq!(phases.get(3), None);
    }
}
