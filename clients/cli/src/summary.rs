//! The one-line summary after a transfer.

use std::time::Duration;

use indicatif::HumanBytes;

#[derive(Debug, Default)]
pub struct Summary {
    pub files: u64,
    pub skipped: u64,
    /// Bytes that moved over the network (skipped files excluded).
    pub bytes: u64,
}

impl Summary {
    pub fn add(&mut self, bytes: u64, skipped: bool) {
        self.files += 1;
        if skipped {
            self.skipped += 1;
        } else {
            self.bytes += bytes;
        }
    }

    /// E.g. "uploaded 3 files (1 skipped), 12.00 MiB in 0.5 s, 25.2 MB/s".
    pub fn line(&self, verb: &str, elapsed: Duration) -> String {
        let plural = if self.files == 1 { "" } else { "s" };
        let skipped = if self.skipped > 0 { format!(" ({} skipped)", self.skipped) } else { String::new() };
        let seconds = elapsed.as_secs_f64();
        let rate = if seconds > 0.0 { self.bytes as f64 / seconds / 1e6 } else { 0.0 };
        format!(
            "{verb} {} file{plural}{skipped}, {} in {seconds:.1} s, {rate:.1} MB/s",
            self.files,
            HumanBytes(self.bytes)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_skipped_files_but_not_their_bytes() {
        let mut summary = Summary::default();
        summary.add(4_000_000, false);
        summary.add(10, true);
        assert_eq!(
            summary.line("uploaded", Duration::from_secs(2)),
            "uploaded 2 files (1 skipped), 3.81 MiB in 2.0 s, 2.0 MB/s"
        );
    }
}
