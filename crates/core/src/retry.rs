//! How long to wait before trying again: one exponential backoff for worker
//! reconnects, chunk-store retries and SDK upload resumes.

use std::time::Duration;

use crate::crypto::random_bytes;

/// `first` doubling with each failure up to `ceiling`, plus up to half of it
/// again as random jitter, so that many clients that failed together (after
/// a manager restart, a rate limit) do not come back in lockstep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub ceiling: Duration,
}

impl Backoff {
    /// A worker reconnecting to the manager.
    pub const RECONNECT: Backoff = Backoff { first: Duration::from_millis(200), ceiling: Duration::from_secs(5) };

    /// The wait after `failures` failures in a row (0: after the first).
    pub fn delay(self, failures: u32) -> Duration {
        let base = self.base(failures);
        let jitter = u64::from(random_bytes::<2>()[0]) * base.as_millis() as u64 / 512;
        base + Duration::from_millis(jitter)
    }

    fn base(self, failures: u32) -> Duration {
        self.first.saturating_mul(1 << failures.min(16)).min(self.ceiling)
    }
}

pub fn reconnect_backoff(failures: u32) -> Duration {
    Backoff::RECONNECT.delay(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_a_ceiling_with_bounded_jitter() {
        let backoff = Backoff { first: Duration::from_millis(100), ceiling: Duration::from_millis(6400) };
        for failures in 0..40 {
            let wait = backoff.delay(failures);
            let base = backoff.base(failures);
            assert_eq!(base, Duration::from_millis(100 << failures.min(6)), "{failures}");
            assert!(wait >= base && wait <= base + base / 2, "{failures}: {wait:?}");
        }
        assert!(reconnect_backoff(u32::MAX) <= Duration::from_millis(7500));
    }
}
