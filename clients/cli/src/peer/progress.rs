//! A progress bar per file on stderr, hidden when stderr is not a terminal.

use std::io::IsTerminal as _;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const TEMPLATE: &str = "{wide_msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}";

pub struct Bars {
    visible: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars { visible: std::io::stderr().is_terminal(), current: Mutex::new(None) }
    }

    fn with_bar(&self, work: impl FnOnce(&ProgressBar)) {
        if let Some(bar) = self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).as_ref() {
            work(bar);
        }
    }
}

impl cordvault_peer::Progress for Bars {
    fn file_started(&self, remote: &str, size: u64, resumed_from: u64) {
        let target = if self.visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let style = ProgressStyle::with_template(TEMPLATE).unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(size), target).with_style(style.progress_chars("=> "));
        bar.set_message(super::display::safe(remote));
        bar.set_position(resumed_from);
        if resumed_from > 0 {
            bar.println(format!("resuming {} at byte {resumed_from}", super::display::safe(remote)));
        }
        *self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(bar);
    }

    fn advanced(&self, bytes: u64) {
        self.with_bar(|bar| bar.inc(bytes));
    }

    fn file_done(&self, _remote: &str) {
        self.with_bar(ProgressBar::finish_and_clear);
    }
}
