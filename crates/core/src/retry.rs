//! How long a worker waits before reconnecting to the manager.

use std::time::Duration;

use crate::crypto::random_bytes;

/// 200 ms doubling to 5 s, with up to half of it again as random jitter so
/// that workers do not reconnect in lockstep after a manager restart.
pub fn reconnect_backoff(failures: u32) -> Duration {
    let base = Duration::from_millis(200).saturating_mul(1 << failures.min(5)).min(Duration::from_secs(5));
    let jitter = u64::from(random_bytes::<2>()[0]) * base.as_millis() as u64 / 512;
    base + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_a_ceiling_with_bounded_jitter() {
        for failures in 0..20 {
            let wait = reconnect_backoff(failures);
            let base = Duration::from_millis(200).saturating_mul(1 << failures.min(5)).min(Duration::from_secs(5));
            assert!(wait >= base && wait <= base + base / 2, "{failures}: {wait:?}");
        }
    }
}
