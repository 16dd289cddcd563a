//! A count of bytes held at once, with a bound: what the recordings of exports under way may
//! hold between them, in memory (see [`crate::api::http::response_cache`]) or on disk (see
//! [`crate::api::http::spool`]).

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct ByteBound {
    held: AtomicU64,
    limit: u64,
}

impl ByteBound {
    /// At most `limit` bytes held at once.
    pub fn new(limit: u64) -> Self {
        Self {
            held: AtomicU64::new(0),
            limit,
        }
    }

    /// Holds `bytes` more; `false`, and nothing more held, past the bound.
    pub fn reserve(&self, bytes: u64) -> bool {
        let held = self.held.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if held > self.limit {
            self.release(bytes);
            return false;
        }
        true
    }

    /// Gives back `bytes` held.
    pub fn release(&self, bytes: u64) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Bytes held now.
    pub fn held(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_would_pass_the_bound_is_refused_and_not_held() {
        let bound = ByteBound::new(10);
        assert!(bound.reserve(6));
        assert!(!bound.reserve(5));
        assert_eq!(bound.held(), 6);
        assert!(bound.reserve(4));
        bound.release(10);
        assert_eq!(bound.held(), 0);
    }
}
