//! Data-package analysis throughput: a generated package of MESSAGES
//! messages and EVENTS analytics lines (default 2 million each, current
//! layout, four shards) is analysed by `cordvault_analysis_worker::analyse`
//! in a child process of its own, which reports its time and peak RSS; the
//! result is checked against the generator's rows.
//!
//! ```text
//! cargo run --release -p cordvault-test-support --example package_bench -- [MESSAGES] [EVENTS]
//! ```

use std::time::Instant;

use cordvault_analysis_worker::{Limits, analyse};
use cordvault_test_support::bench::status_mib;
use cordvault_test_support::package_gen::{PackageLayout, PackageSpec, generate, read_tables};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    // The child: analyse one zip, print seconds and peak RSS.
    if args.get(1).map(String::as_str) == Some("--analyse") {
        let (zip, output) = (&args[2], &args[3]);
        let started = Instant::now();
        let report = analyse(zip.as_ref(), "0123456789abcdef0123456789abcdef", output.as_ref(), &Limits::default())?;
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
    println!("analysis        {seconds:.2} s, peak RSS {peak:.0} MiB");
    println!(
        "throughput      {:.0} analytics lines/s, {:.0} messages/s (both in the one pass)",
        lines / seconds,
        counted / seconds
    );
    expected.assert_matches(&read_tables(&output));
    println!("result          every row as the generator made it");
    Ok(())
}
