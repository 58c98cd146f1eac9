//! Discord's rate limits, obeyed per bot: each route bucket's
//! `X-RateLimit-Remaining` / `X-RateLimit-Reset-After`, and every 429's
//! `retry_after` (for its bucket, or for all of the bot's requests when
//! global). serenity's own ratelimiter would do this but ignores a custom
//! API base, which the emulator needs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

#[derive(Debug)]
struct Bucket {
    /// None until a response told us; then one request at a time probes.
    remaining: Option<u32>,
    reset_at: Instant,
    blocked_until: Instant,
    /// When the probe of an unknown bucket went out.
    probing_since: Option<Instant>,
    /// Whether any answer came back; only a bucket never answered is probed.
    answered: bool,
}

/// Requests per second per bot: under Discord's global 50, with room for
/// the jitter between our clock and theirs.
const GLOBAL_PER_SECOND: u32 = 45;
/// A probe whose answer never came no longer holds its bucket.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    global_until: Mutex<Instant>,
    /// Requests are paced to stay under the global limit rather than learn it from 429s.
    next_slot: Mutex<Instant>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        let now = Instant::now();
        RateLimiter { buckets: Mutex::default(), global_until: Mutex::new(now), next_slot: Mutex::new(now) }
    }
}

fn header<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl RateLimiter {
    /// Waits until a request on `bucket` may go, and counts it.
    pub async fn acquire(&self, bucket: &str) {
        loop {
            // Pace first, then take the bucket's slot right before sending:
            // a slot taken early could be spent in a later window.
            self.pace().await;
            let global = *self.global_until.lock().expect("limiter lock");
            if global > Instant::now() {
                tokio::time::sleep_until(global).await;
                continue;
            }
            match self.try_acquire(bucket) {
                None => return,
                Some(until) => tokio::time::sleep_until(until).await,
            }
        }
    }

    /// Takes a slot on `bucket` now (None), or says until when to wait.
    fn try_acquire(&self, bucket: &str) -> Option<Instant> {
        let now = Instant::now();
        let global = *self.global_until.lock().expect("limiter lock");
        let mut buckets = self.buckets.lock().expect("limiter lock");
        let entry = buckets.entry(bucket.to_owned()).or_insert(Bucket {
            remaining: None,
            reset_at: now,
            blocked_until: now,
            probing_since: None,
            answered: false,
        });
        if entry.reset_at <= now && entry.remaining == Some(0) {
            entry.remaining = None;
        }
        let exhausted = if entry.remaining == Some(0) { entry.reset_at } else { now };
        // An unknown bucket takes one request; the rest wait for its headers.
        let probing = match (entry.answered, entry.probing_since) {
            (false, Some(since)) if now.duration_since(since) < PROBE_TIMEOUT => now + Duration::from_millis(5),
            _ => now,
        };
        let until = global.max(entry.blocked_until).max(exhausted).max(probing);
        if until > now {
            return Some(until);
        }
        match entry.remaining.as_mut() {
            Some(remaining) => *remaining -= 1,
            None if !entry.answered => entry.probing_since = Some(now),
            None => {}
        }
        None
    }

    /// Spaces requests evenly: under Discord's global limit.
    async fn pace(&self) {
        let slot = {
            let mut next = self.next_slot.lock().expect("limiter lock");
            let slot = (*next).max(Instant::now());
            *next = slot + Duration::from_secs(1) / GLOBAL_PER_SECOND;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Learns the bucket's state from a response's headers.
    pub fn update(&self, bucket: &str, headers: &HeaderMap) {
        let mut buckets = self.buckets.lock().expect("limiter lock");
        let Some(entry) = buckets.get_mut(bucket) else { return };
        entry.answered = true;
        entry.probing_since = None;
        let (Some(remaining), Some(reset_after)) =
            (header::<u32>(headers, "x-ratelimit-remaining"), header::<f64>(headers, "x-ratelimit-reset-after"))
        else {
            return;
        };
        let reset_at = Instant::now() + Duration::from_secs_f64(reset_after.max(0.0));
        // Answers arrive out of order: within one window only the lowest
        // count is true; a later reset means a new window.
        let new_window = reset_at > entry.reset_at + Duration::from_millis(500);
        entry.remaining = match entry.remaining {
            Some(known) if !new_window => Some(known.min(remaining)),
            _ => Some(remaining),
        };
        entry.reset_at = entry.reset_at.max(reset_at);
    }

    /// A 429: nothing more on the bucket (or, if global, at all) until
    /// `retry_after` has passed.
    pub fn rate_limited(&self, bucket: &str, headers: &HeaderMap, body_retry_after: Option<f64>) {
        let retry_after = header::<f64>(headers, "retry-after").or(body_retry_after).unwrap_or(1.0);
        let until = Instant::now() + Duration::from_secs_f64(retry_after.max(0.0)) + Duration::from_millis(10);
        if headers.contains_key("x-ratelimit-global") {
            let mut global = self.global_until.lock().expect("limiter lock");
            *global = (*global).max(until);
            return;
        }
        let mut buckets = self.buckets.lock().expect("limiter lock");
        let now = Instant::now();
        let entry = buckets.entry(bucket.to_owned()).or_insert(Bucket {
            remaining: None,
            reset_at: now,
            blocked_until: now,
            probing_since: None,
            answered: false,
        });
        entry.blocked_until = entry.blocked_until.max(until);
        entry.probing_since = None;
    }
}
