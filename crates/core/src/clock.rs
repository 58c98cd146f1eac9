//! Time as cordvault's services see it: the wall clock, which tests can move
//! forward instead of sleeping until a link, a lockout or a session expires.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Milliseconds since the Unix epoch (0 for a clock set before 1970): the
/// time a record was written.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// The clock services decide expiry, lockouts and retention by. It is the
/// system clock, moved forward by whatever [`Clock::advance`] added (nothing,
/// outside tests); clones share one offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    skipped_ms: Arc<AtomicU64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Moves this clock, and every clone of it, forward.
    pub fn advance(&self, by: Duration) {
        self.skipped_ms.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    fn skipped(&self) -> Duration {
        Duration::from_millis(self.skipped_ms.load(Ordering::SeqCst))
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        now_ms().saturating_add(self.skipped().as_millis() as i64)
    }

    /// A monotonic instant, for durations measured in memory.
    pub fn instant(&self) -> Instant {
        Instant::now() + self.skipped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone_and_both_readings() {
        let clock = Clock::system();
        let clone = clock.clone();
        let (wall, mono) = (clock.now_ms(), clock.instant());
        clone.advance(Duration::from_secs(3600));
        assert!(clock.now_ms() >= wall + 3_600_000);
        assert!(clock.instant() >= mono + Duration::from_secs(3600));
        assert!(Clock::system().now_ms() < wall + 3_600_000, "a new clock is the system's");
    }
}
