//! Writes a synthetic Discord data package (`package_gen::generate`, the
//! same bytes for the same seed) and, with `--expected`, what a correct
//! analysis of it gives, as JSON for tests outside Rust (the browser test
//! `clients/web/e2e/dumpus.mjs`): `tables` (every table's rows as SQLite
//! returns them, sorted), `counts` (each table's row count), `messages`,
//! `analytics_events`, `malformed_lines`, and `package_id`, the id the
//! `package_data` row names — a placeholder, since the real id depends on
//! the link the package is submitted under.
//!
//! ```text
//! cargo run -p cordvault-test-support --example package_gen -- ZIP_PATH \
//!     [--seed N] [--layout current|legacy|translated|wrapped] \
//!     [--messages N] [--events N] [--expected EXPECTED.json]
//! ```
//!
//! Without `--messages`/`--events` the package is `PackageSpec::small`
//! (3,000 messages, 5,000 analytics lines).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use cordvault_test_support::package_gen::{PackageLayout, PackageSpec, generate};
use serde_json::json;

/// The id the expected `package_data` row carries.
const PLACEHOLDER_ID: &str = "0123456789abcdef0123456789abcdef";

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Layout {
    Current,
    Legacy,
    Translated,
    Wrapped,
}

impl From<Layout> for PackageLayout {
    fn from(layout: Layout) -> PackageLayout {
        match layout {
            Layout::Current => PackageLayout::Current,
            Layout::Legacy => PackageLayout::Legacy,
            Layout::Translated => PackageLayout::Translated,
            Layout::Wrapped => PackageLayout::Wrapped,
        }
    }
}

#[derive(Debug, Parser)]
#[command(about = "Writes a synthetic Discord data package and what its analysis must give")]
struct Args {
    /// Where the zip goes.
    zip_path: PathBuf,
    /// The same seed, the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Which generation of Discord's export to imitate.
    #[arg(long, value_enum, default_value = "current")]
    layout: Layout,
    /// Messages, spread over the conversations.
    #[arg(long)]
    messages: Option<u64>,
    /// Analytics lines (events and noise).
    #[arg(long)]
    events: Option<u64>,
    /// Where the expected rows go, as JSON.
    #[arg(long)]
    expected: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut spec = PackageSpec::small(args.seed, args.layout.into());
    if let Some(messages) = args.messages {
        spec.messages = messages;
    }
    if let Some(events) = args.events {
        spec.analytics_lines = events;
    }
    let expected = generate(&spec, &args.zip_path)
        .with_context(|| format!("writing {}", args.zip_path.display()))?
        .with_package_id(PLACEHOLDER_ID);
    let counts: BTreeMap<&str, usize> =
        expected.tables.iter().map(|(name, rows)| (name.as_str(), rows.len())).collect();
    if let Some(path) = &args.expected {
        // Expected's fields (tables, messages, analytics_events,
        // malformed_lines), plus the counts and the id in package_data.
        let mut body = serde_json::to_value(&expected)?;
        body["counts"] = json!(counts);
        body["package_id"] = json!(PLACEHOLDER_ID);
        std::fs::write(path, serde_json::to_vec_pretty(&body)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let size = std::fs::metadata(&args.zip_path)?.len();
    println!(
        "{}: {size} bytes, {} messages, {} analytics events, {} malformed lines; rows {}",
        args.zip_path.display(),
        expected.messages,
        expected.analytics_events,
        expected.malformed_lines,
        counts.iter().map(|(name, rows)| format!("{name} {rows}")).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
