//! Calls anyone may make without signing in, and that cost more than they
//! look (a package submission queues a download; a Discord lookup spends
//! the bot's rate limit), are limited per client address: a token bucket
//! each, refilled steadily. The buckets live in this manager's memory and
//! are bounded in number, as the throttle's are.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cordvault_core::clock::Clock;
use cordvault_core::{Error, Result};

/// Addresses remembered at most; when full, the fullest buckets (those
/// nobody used lately) are dropped first.
const MAX_ADDRESSES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
pub struct RatePolicy {
    /// Calls allowed at once from a fresh address.
    pub burst: u32,
    /// One more call allowed per this interval.
    pub refill: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated_ms: i64,
}

#[derive(Clone)]
pub struct RateLimiter {
    what: &'static str,
    policy: RatePolicy,
    clock: Clock,
    buckets: Arc<Mutex<HashMap<IpAddr, Bucket>>>,
}

impl RateLimiter {
    /// `what` names the calls in the refusal, e.g. "package submissions".
    pub fn new(what: &'static str, policy: RatePolicy, clock: Clock) -> RateLimiter {
        RateLimiter { what, policy, clock, buckets: Arc::default() }
    }

    /// Takes one call from `peer`'s bucket, or refuses with the time until
    /// the next one is allowed. A call with no known address (in-process
    /// tests, a Unix socket) is not limited.
    pub fn take(&self, peer: Option<IpAddr>) -> Result<()> {
        let Some(peer) = peer else { return Ok(()) };
        let now = self.clock.now_ms();
        let refill_ms = self.policy.refill.as_millis().max(1) as f64;
        let burst = f64::from(self.policy.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_ADDRESSES && !buckets.contains_key(&peer) {
            // Full buckets are the ones at rest: forgetting them changes nothing.
            buckets.retain(|_, bucket| bucket.tokens + (now - bucket.updated_ms) as f64 / refill_ms < burst);
        }
        let bucket = buckets.entry(peer).or_insert(Bucket { tokens: burst, updated_ms: now });
        bucket.tokens = (bucket.tokens + (now - bucket.updated_ms).max(0) as f64 / refill_ms).min(burst);
        bucket.updated_ms = now;
        if bucket.tokens < 1.0 {
            let wait = Duration::from_millis(((1.0 - bucket.tokens) * refill_ms).ceil() as u64);
            let mut err =
                Error::resource_exhausted(format!("too many {} from this address; try again shortly", self.what));
            err.retry_after = Some(wait.max(Duration::from_secs(1)));
            return Err(err);
        }
        bucket.tokens -= 1.0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_call_per_interval_per_address() {
        let clock = Clock::system();
        let policy = RatePolicy { burst: 3, refill: Duration::from_secs(10) };
        let limiter = RateLimiter::new("calls", policy, clock.clone());
        let (one, two): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            limiter.take(Some(one)).unwrap();
        }
        let refused = limiter.take(Some(one)).unwrap_err();
        assert_eq!(refused.code, cordvault_core::ErrorCode::ResourceExhausted);
        let wait = refused.retry_after.unwrap();
        assert!(wait > Duration::from_secs(9) && wait <= Duration::from_secs(10), "{wait:?}");
        // Another address has its own bucket; an unknown one is not limited.
        limiter.take(Some(two)).unwrap();
        for _ in 0..10 {
            limiter.take(None).unwrap();
        }
        clock.advance(Duration::from_secs(10));
        limiter.take(Some(one)).unwrap();
        assert!(limiter.take(Some(one)).is_err());
        // A long rest refills the bucket up to the burst, no further.
        clock.advance(Duration::from_secs(3600));
        for _ in 0..3 {
            limiter.take(Some(one)).unwrap();
        }
        assert!(limiter.take(Some(one)).is_err());
    }
}
