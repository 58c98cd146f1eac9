//! Lines on stdout, with write errors returned instead of panicking (a closed
//! pipe makes `println!` panic).

use std::fmt::Display;
use std::io::Write;

pub fn print_line(line: impl Display) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

/// A Unix time in milliseconds as "YYYY-MM-DD HH:MM" (UTC), the way lists show when things happened.
pub fn date_time(unix_ms: i64) -> String {
    let at = cordvault_core::calendar::UtcDateTime::from_unix(unix_ms.div_euclid(1000));
    format!("{} {:02}:{:02}", at.date_string(), at.hour, at.minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_utc_minutes() {
        assert_eq!(date_time(0), "1970-01-01 00:00");
        assert_eq!(date_time(1_796_675_100_999), "2026-12-07 20:25");
    }
}
