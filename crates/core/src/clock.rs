//! Wall-clock time as cordvault stores it: milliseconds since the Unix epoch.

/// Milliseconds since the Unix epoch (0 for a clock set before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}
