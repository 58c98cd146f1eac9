//! Guessing passwords costs time: after a few failures, each further one
//! locks its keys (an account, a link, a peer address) out for twice as
//! long as the one before. And checking a password (Argon2, deliberately
//! slow) runs a few at a time, so a flood of attempts queues behind itself
//! instead of starving every other user's requests.
//!
//! The state lives in this manager's memory: replicas each count on their
//! own, which still bounds a guesser to a handful of tries per lockout.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cordvault_core::clock::Clock;
use cordvault_core::{Error, Result};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first lockout.
    pub free_failures: u32,
    /// The first lockout; each further failure doubles it.
    pub first_lockout: Duration,
    pub max_lockout: Duration,
    /// A key with no failure for this long starts afresh.
    pub forget_after: Duration,
    /// Keys remembered at most; the oldest go first.
    pub max_keys: usize,
    /// Password checks running at once.
    pub concurrent_checks: usize,
    /// Password checks waiting at most; more are refused at once.
    pub queued_checks: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            free_failures: 5,
            first_lockout: Duration::from_secs(1),
            max_lockout: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(60 * 60),
            max_keys: 100_000,
            concurrent_checks: 2,
            queued_checks: 64,
        }
    }
}

/// What a failure is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    Account(String),
    Link(String),
    Peer(IpAddr),
    /// Workers presenting the service password.
    Worker(IpAddr),
}

struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

#[derive(Clone)]
pub struct Throttle {
    policy: ThrottlePolicy,
    clock: Clock,
    failures: Arc<Mutex<HashMap<ThrottleKey, Failures>>>,
    checks: Arc<Semaphore>,
    /// Password checks running or waiting.
    pending: Arc<AtomicUsize>,
    /// Password checks started since the server started.
    started: Arc<AtomicU64>,
}

/// Counts one password check as pending until dropped, cancelled or done.
struct Turn(Arc<AtomicUsize>);

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The right to run one password check now; hold it while checking.
pub struct PasswordCheck {
    _permit: OwnedSemaphorePermit,
    _turn: Turn,
}

impl Throttle {
    pub fn new(policy: ThrottlePolicy, clock: Clock) -> Self {
        Throttle {
            policy,
            clock,
            failures: Arc::default(),
            checks: Arc::new(Semaphore::new(policy.concurrent_checks.max(1))),
            pending: Arc::default(),
            started: Arc::default(),
        }
    }

    /// Refuses with RESOURCE_EXHAUSTED and a retry hint while any of `keys`
    /// is locked out.
    pub fn check(&self, keys: &[ThrottleKey]) -> Result<()> {
        let now = self.clock.instant();
        let failures = self.failures.lock().expect("throttle lock");
        let wait = keys
            .iter()
            .filter_map(|key| failures.get(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(wait) => Err(Error::resource_exhausted(format!(
                "too many failed attempts; try again in {} s",
                wait.as_secs().max(1)
            ))
            .with_retry_after(wait)),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt against each key.
    pub fn failed(&self, keys: &[ThrottleKey]) {
        let now = self.clock.instant();
        let mut failures = self.failures.lock().expect("throttle lock");
        if failures.len() + keys.len() > self.policy.max_keys {
            self.forget_old(&mut failures, now);
        }
        for key in keys {
            let entry = failures.entry(key.clone()).or_insert(Failures { count: 0, last: now, locked_until: None });
            if now.duration_since(entry.last) > self.policy.forget_after {
                entry.count = 0;
            }
            entry.count += 1;
            entry.last = now;
            if let Some(excess) = entry.count.checked_sub(self.free_failures(key) + 1) {
                let lockout =
                    self.policy.first_lockout.saturating_mul(1 << excess.min(20)).min(self.policy.max_lockout);
                entry.locked_until = Some(now + lockout);
                tracing::warn!(?key, failures = entry.count, lockout_secs = lockout.as_secs(), "attempts locked out");
            }
        }
    }

    /// An address may be shared by many people (an office, a NAT), so it
    /// gets more free failures than one account or link.
    fn free_failures(&self, key: &ThrottleKey) -> u32 {
        match key {
            ThrottleKey::Peer(_) | ThrottleKey::Worker(_) => self.policy.free_failures * 4,
            ThrottleKey::Account(_) | ThrottleKey::Link(_) => self.policy.free_failures,
        }
    }

    /// A success forgets the failures of `key`.
    pub fn succeeded(&self, key: &ThrottleKey) {
        self.failures.lock().expect("throttle lock").remove(key);
    }

    /// A turn to check a password; refused when too many already wait.
    pub async fn password_check(&self) -> Result<PasswordCheck> {
        let busy = || {
            Error::resource_exhausted("the server is busy checking passwords; try again shortly")
                .with_retry_after(Duration::from_secs(1))
        };
        let limit = self.policy.concurrent_checks.max(1) + self.policy.queued_checks;
        let turn = Turn(self.pending.clone());
        if self.pending.fetch_add(1, Ordering::Relaxed) >= limit {
            return Err(busy());
        }
        let permit = self.checks.clone().acquire_owned().await.map_err(|_| busy())?;
        self.started.fetch_add(1, Ordering::Relaxed);
        Ok(PasswordCheck { _permit: permit, _turn: turn })
    }

    /// How many password checks have started: each login attempt makes one,
    /// whether or not its user exists.
    pub fn password_checks(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// Drops keys not failed for `forget_after`, then the oldest until a
    /// quarter of the room is free.
    fn forget_old(&self, failures: &mut HashMap<ThrottleKey, Failures>, now: Instant) {
        failures.retain(|_, entry| {
            now.duration_since(entry.last) <= self.policy.forget_after
                || entry.locked_until.is_some_and(|until| until > now)
        });
        let keep = self.policy.max_keys * 3 / 4;
        if failures.len() > keep {
            let mut by_age: Vec<(Instant, ThrottleKey)> =
                failures.iter().map(|(key, entry)| (entry.last, key.clone())).collect();
            by_age.sort_by_key(|(last, _)| *last);
            for (_, key) in by_age.into_iter().take(failures.len() - keep) {
                failures.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy { free_failures: 2, first_lockout: Duration::from_secs(10), ..ThrottlePolicy::default() }
    }

    #[test]
    fn locks_out_after_the_free_failures_and_doubles() {
        let throttle = Throttle::new(policy(), Clock::system());
        let key = [ThrottleKey::Account("bob".into())];
        throttle.failed(&key);
        throttle.failed(&key);
        assert!(throttle.check(&key).is_ok(), "two failures are free");
        throttle.failed(&key);
        let err = throttle.check(&key).unwrap_err();
        assert_eq!(err.code, cordvault_core::ErrorCode::ResourceExhausted);
        assert_eq!(err.retry_after_secs(), Some(10));
        throttle.failed(&key);
        assert_eq!(throttle.check(&key).unwrap_err().retry_after_secs(), Some(20));
        assert!(throttle.check(&[ThrottleKey::Account("carol".into())]).is_ok(), "other keys are untouched");
        throttle.clock.advance(Duration::from_secs(21));
        assert!(throttle.check(&key).is_ok(), "a lockout ends");
        throttle.failed(&key);
        assert_eq!(throttle.check(&key).unwrap_err().retry_after_secs(), Some(40), "failures are remembered");
        throttle.succeeded(&key[0]);
        assert!(throttle.check(&key).is_ok());
    }

    #[tokio::test]
    async fn password_checks_queue_boundedly() {
        let throttle =
            Throttle::new(ThrottlePolicy { concurrent_checks: 1, queued_checks: 1, ..policy() }, Clock::system());
        let running = throttle.password_check().await.unwrap();
        let waiting = tokio::spawn({
            let throttle = throttle.clone();
            async move { throttle.password_check().await.map(|_| ()) }
        });
        while throttle.pending.load(Ordering::Relaxed) < 2 {
            tokio::task::yield_now().await;
        }
        let refused = throttle.password_check().await.err().expect("the queue is full");
        assert_eq!(refused.code, cordvault_core::ErrorCode::ResourceExhausted);
        assert!(refused.retry_after.is_some());
        drop(running);
        waiting.await.unwrap().unwrap();
        assert_eq!(throttle.password_checks(), 2);
        assert_eq!(throttle.pending.load(Ordering::Relaxed), 0, "finished and refused checks are no longer pending");
    }

    #[test]
    fn remembers_a_bounded_number_of_keys() {
        let throttle = Throttle::new(ThrottlePolicy { max_keys: 100, ..policy() }, Clock::system());
        for n in 0..1000 {
            throttle.failed(&[ThrottleKey::Link(format!("link-{n}"))]);
        }
        assert!(throttle.failures.lock().unwrap().len() <= 100);
    }
}
