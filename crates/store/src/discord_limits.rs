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
    remaining: Option<u32>,
    reset_at: Instant,
    blocked_until: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    global_until: Mutex<Instant>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter { buckets: Mutex::default(), global_until: Mutex::new(Instant::now()) }
    }
}

fn header<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl RateLimiter {
    /// Waits until a request on `bucket` may go, and counts it.
    pub async fn acquire(&self, bucket: &str) {
        loop {
            let now = Instant::now();
            let until = {
                let global = *self.global_until.lock().expect("limiter lock");
                let mut buckets = self.buckets.lock().expect("limiter lock");
                let entry = buckets.entry(bucket.to_owned()).or_insert(Bucket {
                    remaining: None,
                    reset_at: now,
                    blocked_until: now,
                });
                if entry.reset_at <= now && entry.remaining == Some(0) {
                    entry.remaining = None;
                }
                let exhausted = if entry.remaining == Some(0) { entry.reset_at } else { now };
                let until = global.max(entry.blocked_until).max(exhausted);
                if until <= now {
                    if let Some(remaining) = entry.remaining.as_mut() {
                        *remaining -= 1;
                    }
                    return;
                }
                until
            };
            tokio::time::sleep_until(until).await;
        }
    }

    /// Learns the bucket's state from a response's headers.
    pub fn update(&self, bucket: &str, headers: &HeaderMap) {
        let (Some(remaining), Some(reset_after)) =
            (header::<u32>(headers, "x-ratelimit-remaining"), header::<f64>(headers, "x-ratelimit-reset-after"))
        else {
            return;
        };
        let mut buckets = self.buckets.lock().expect("limiter lock");
        if let Some(entry) = buckets.get_mut(bucket) {
            entry.remaining = Some(remaining);
            entry.reset_at = Instant::now() + Duration::from_secs_f64(reset_after.max(0.0));
        }
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
        let entry =
            buckets.entry(bucket.to_owned()).or_insert(Bucket { remaining: None, reset_at: now, blocked_until: now });
        entry.blocked_until = entry.blocked_until.max(until);
    }
}
