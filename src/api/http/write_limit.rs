//! The rate limit of writes: so many per minute per token, with a burst of as many.
//!
//! The limit lives in this process's memory (GCRA, by the `governor` crate, keyed by token
//! name). It is **per process**: with several instances behind a load balancer, each applies
//! it on its own, so a token may write up to N times the rate across N instances. A restart
//! forgets the buckets. Only authenticated writes reach it, so it holds at most one small entry
//! per token that has written.

use std::fmt;
use std::num::NonZeroU32;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Writes per minute per token when not configured (`--write-rate`).
pub const DEFAULT_WRITES_PER_MINUTE: NonZeroU32 = NonZeroU32::new(120).expect("non-zero");

pub struct WriteLimiter {
    per_minute: NonZeroU32,
    limiter: DefaultKeyedRateLimiter<String>,
}

impl WriteLimiter {
    /// `per_minute` writes a minute per token, all of which may come at once.
    pub fn per_minute(per_minute: NonZeroU32) -> Self {
        Self {
            per_minute,
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Counts one write by `token_name`: `Err` with the whole seconds to wait (at least 1)
    /// when its bucket is empty; the refused write is not counted.
    pub fn check(&self, token_name: &str) -> Result<(), u64> {
        self.limiter
            .check_key(&token_name.to_owned())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
            })
    }

    pub fn writes_per_minute(&self) -> NonZeroU32 {
        self.per_minute
    }
}

impl Default for WriteLimiter {
    fn default() -> Self {
        Self::per_minute(DEFAULT_WRITES_PER_MINUTE)
    }
}

impl fmt::Debug for WriteLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteLimiter")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_next_write_waits_its_turn() {
        let limiter = WriteLimiter::per_minute(NonZeroU32::new(3).expect("non-zero"));
        for _ in 0..3 {
            assert_eq!(limiter.check("ci"), Ok(()));
        }
        let wait = limiter.check("ci").expect_err("the burst is spent");
        // One write every 20 seconds replenishes the bucket.
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(
            limiter.check("other"),
            Ok(()),
            "each token has its own bucket"
        );
    }

    #[test]
    fn the_default_is_120_a_minute() {
        let limiter = WriteLimiter::default();
        assert_eq!(limiter.writes_per_minute().get(), 120);
        for _ in 0..120 {
            assert_eq!(limiter.check("ci"), Ok(()));
        }
        assert!(limiter.check("ci").is_err());
    }
}
