//! `cordvault`: the command-line client of a cordvault server.

mod byte_range;
mod cli;
mod commands;
mod credentials;
mod failure;
mod local_files;
mod output;
mod parallel;
mod password;
mod peer;
mod progress;
mod remote_path;
mod session;
mod summary;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

fn main() -> ExitCode {
    failure::install_panic_hook();
    let cli = cli::Cli::parse();
    let login_hint = cli.command.needs_login_hint();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cordvault: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // After a failure, hashing threads may still run; do not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if failure::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cordvault: {}", failure::describe(&err, login_hint));
            ExitCode::FAILURE
        }
    }
}
