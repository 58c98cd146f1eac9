use clap::Parser;

// Chunk-sized buffers churn through many threads; mimalloc hands their
// memory back instead of parking it in per-thread arenas as glibc does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use cordvault_server::config::{Cli, Command};

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let default_level = if cli.serve.debug_logging { "debug" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        // Colour codes only for a person watching; log files and the
        // scripts that read them get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    if let Err(err) = run(cli).await {
        eprintln!("cordvault-server: {err:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Keygen) => {
            print!("{}", cordvault_server::keys::env_file_text(&cordvault_server::keys::generate()));
            Ok(())
        }
        Some(Command::Check { repair }) => {
            let config = cordvault_server::server_config(&cli.serve)?;
            let report = cordvault_server::check_store(&config, repair).await?;
            println!("missing chunks (recorded, not in the store): {}", report.missing.len());
            for locator in &report.missing {
                println!("  missing  {locator}");
            }
            println!("orphaned objects (in the store, not recorded): {}", report.orphaned.len());
            for locator in &report.orphaned {
                println!("  orphan   {locator}");
            }
            if repair {
                println!("deleted {} orphaned objects", report.repaired);
                if report.young > 0 {
                    println!("spared {} orphaned objects younger than ORPHAN_GRACE_SECS", report.young);
                }
            }
            if !report.missing.is_empty() {
                anyhow::bail!("{} recorded chunks are missing from the store", report.missing.len());
            }
            Ok(())
        }
        Some(Command::Serve) | None => {
            let config = cordvault_server::server_config(&cli.serve)?;
            let mut server = cordvault_server::start(config).await?;
            let result = tokio::select! {
                result = server.wait_for_exit() => result,
                _ = tokio::signal::ctrl_c() => Ok(()),
            };
            server.shutdown().await;
            result
        }
    }
}
