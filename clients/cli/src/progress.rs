//! Progress bars on stderr: one overall bar (bytes, speed, ETA) and, when
//! several files move, one per file in flight. Hidden when stderr is not a
//! terminal so logs and pipes stay clean.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use cordvault_client::{Progress, ProgressFn};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

const OVERALL_TEMPLATE: &str =
    "{spinner} {msg} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} ({binary_bytes_per_sec}, ETA {eta})";
const FILE_TEMPLATE: &str = "  {wide_msg} [{bar:30}] {bytes}/{total_bytes}";

pub struct TransferProgress {
    multi: MultiProgress,
    overall: ProgressBar,
    per_file_bars: bool,
    files_total: usize,
    files_done: AtomicUsize,
}

impl TransferProgress {
    pub fn new(total_bytes: u64, files_total: usize) -> Arc<TransferProgress> {
        let visible = std::io::stderr().is_terminal();
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let multi = MultiProgress::with_draw_target(target);
        let overall = multi.add(ProgressBar::new(total_bytes).with_style(style(OVERALL_TEMPLATE)));
        if visible {
            // Keeps speed and elapsed time moving while a file is being hashed.
            overall.enable_steady_tick(Duration::from_millis(200));
        }
        let progress =
            TransferProgress { multi, overall, per_file_bars: files_total > 1, files_total, files_done: 0.into() };
        progress.show_file_count();
        Arc::new(progress)
    }

    /// Starts tracking one file; finish it with [`FileProgress::finish`].
    pub fn file(self: &Arc<Self>, name: &str, size: u64) -> Arc<FileProgress> {
        let bar = if self.per_file_bars {
            let bar = ProgressBar::new(size).with_style(style(FILE_TEMPLATE)).with_message(name.to_owned());
            Some(self.multi.add(bar))
        } else {
            self.overall.set_message(name.to_owned());
            None
        };
        Arc::new(FileProgress { transfer: self.clone(), bar, reported: AtomicU64::new(0) })
    }

    /// Runs `print` with the bars lifted, so stdout lines do not tear them.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.multi.suspend(print)
    }

    fn show_file_count(&self) {
        if self.per_file_bars {
            let done = self.files_done.load(Ordering::Relaxed);
            self.overall.set_message(format!("{done}/{} files", self.files_total));
        }
    }
}

impl Drop for TransferProgress {
    fn drop(&mut self) {
        self.overall.finish_and_clear();
        // Drawing is best effort; a terminal that went away is no failure.
        let _ = self.multi.clear();
    }
}

/// One file's share of a [`TransferProgress`].
pub struct FileProgress {
    transfer: Arc<TransferProgress>,
    bar: Option<ProgressBar>,
    /// The highest byte count reported so far: the SDK's streams report out
    /// of order, and the overall bar must only ever move forward.
    reported: AtomicU64,
}

impl FileProgress {
    pub fn update(&self, done: u64) {
        let previous = self.reported.fetch_max(done, Ordering::Relaxed);
        if done > previous {
            self.transfer.overall.inc(done - previous);
            if let Some(bar) = &self.bar {
                bar.set_position(done);
            }
        }
    }

    /// The SDK's callback form of [`FileProgress::update`].
    pub fn callback(self: &Arc<Self>) -> ProgressFn {
        let file = self.clone();
        Arc::new(move |progress: Progress| file.update(progress.done))
    }

    /// Marks the file done (transferred or skipped), counting all of `size`.
    pub fn finish(&self, size: u64) {
        self.update(size);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            self.transfer.multi.remove(bar);
        }
        self.transfer.files_done.fetch_add(1, Ordering::Relaxed);
        self.transfer.show_file_count();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> ")
}
