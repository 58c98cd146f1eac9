//! Data-package analysis throughput: a generated package of MESSAGES
//! messages and EVENTS analytics lines (default 2 million each, current
//! layout, four shards) is analysed by `cordvault_analysis_worker::analyse`
//! and sealed (gzip, AES) as a job does, in a child process of its own,
//! which reports its time and peak RSS; the result is checked against the
//! generator's rows.
//!
//! With `DUMPUS_API_DIR` set to a checkout of dumpus-api (its requirements
//! installed for `DUMPUS_PYTHON`, default `python3`), the original's
//! pipeline runs on the same zip through `bench/dumpus_original.py`
//! (`--skip-malformed`: the original aborts on the generator's malformed
//! lines), and both are printed side by side.
//!
//! ```text
//! cargo run --release -p cordvault-test-support --example package_bench -- [MESSAGES] [EVENTS]
//! ```

use std::time::Instant;

use cordvault_analysis_worker::{Limits, analyse, seal};
use cordvault_core::package::PackageKey;
use cordvault_test_support::bench::status_mib;
use cordvault_test_support::package_gen::{PackageLayout, PackageSpec, generate, read_tables};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    // The child: analyse one zip, print seconds and peak RSS.
    if args.get(1).map(String::as_str) == Some("--analyse") {
        let (zip, output) = (&args[2], &args[3]);
        let started = Instant::now();
        let report = analyse(zip.as_ref(), "0123456789abcdef0123456789abcdef", output.as_ref(), &Limits::default())?;
        let sealed = std::path::Path::new(output).with_extension("sealed");
        seal(output.as_ref(), &PackageKey::generate(), &sealed)?;
        let seconds = started.elapsed().as_secs_f64();
        let peak = status_mib(std::process::id(), "VmHWM")?;
        println!("{seconds} {peak} {} {}", report.analytics_lines, report.messages);
        return Ok(());
    }
    let messages: u64 = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(2_000_000);
    let events: u64 = args.get(2).map(|n| n.parse()).transpose()?.unwrap_or(2_000_000);
    let dir = tempfile::tempdir()?;
    let zip = dir.path().join("package.zip");
    let spec = PackageSpec {
        seed: 1,
        layout: PackageLayout::Current,
        messages,
        analytics_lines: events,
        shards: 4,
        direct_channels: 60,
        guild_channels: 200,
        guilds: 25,
    };
    let started = Instant::now();
    let expected = generate(&spec, &zip)?.with_package_id("0123456789abcdef0123456789abcdef");
    let zip_mib = std::fs::metadata(&zip)?.len() as f64 / (1024.0 * 1024.0);
    println!(
        "package         {messages} messages, {events} analytics lines, {zip_mib:.0} MiB zip (made in {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    let output = dir.path().join("result.sqlite");
    let child =
        std::process::Command::new(std::env::current_exe()?).arg("--analyse").arg(&zip).arg(&output).output()?;
    anyhow::ensure!(child.status.success(), "the analysis failed: {}", String::from_utf8_lossy(&child.stderr));
    let line = String::from_utf8(child.stdout)?;
    let fields: Vec<f64> = line.split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
    let [seconds, peak, lines, counted] = fields[..] else { anyhow::bail!("unexpected child output {line:?}") };
    println!("cordvault       {seconds:.2} s (analysis, gzip, AES), peak RSS {peak:.0} MiB");
    println!(
        "                {:.0} analytics lines/s, {:.0} messages/s (both in the one pass)",
        lines / seconds,
        counted / seconds
    );
    expected.assert_matches(&read_tables(&output));
    println!("                every row as the generator made it");

    let Ok(original) = std::env::var("DUMPUS_API_DIR") else {
        println!("original        not run (set DUMPUS_API_DIR to a dumpus-api checkout)");
        return Ok(());
    };
    let python = std::env::var("DUMPUS_PYTHON").unwrap_or_else(|_| "python3".into());
    let driver = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/dumpus_original.py");
    let run = std::process::Command::new(python)
        .arg(driver)
        .arg("--skip-malformed")
        .arg(original)
        .arg(&zip)
        .arg(dir.path().join("original"))
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(run.status.success(), "the original failed");
    let line = String::from_utf8(run.stdout)?;
    let fields: Vec<f64> = line.split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
    let [their_seconds, their_peak, their_lines, their_messages] = fields[..] else {
        anyhow::bail!("unexpected driver output {line:?}")
    };
    println!("original        {their_seconds:.2} s (analysis, gzip -9, AES), peak RSS {their_peak:.0} MiB");
    println!(
        "                {:.0} analytics lines/s, {:.0} messages/s (it reads the first shard only: {their_lines} lines)",
        their_lines / their_seconds,
        their_messages / their_seconds
    );
    // Work done per second: lines and messages together, since both pass once.
    let ours = (lines + counted) / seconds;
    let theirs = (their_lines + their_messages) / their_seconds;
    println!("ratio           {:.1}x the original's throughput, {:.2}x its peak RSS", ours / theirs, peak / their_peak);
    Ok(())
}
