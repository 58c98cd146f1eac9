//! Runs the Discord API emulator so a person can try cordvault's Discord
//! store locally: point DISCORD_API_BASE at it.

use std::time::Duration;

use clap::Parser;
use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};

#[derive(Parser)]
#[command(name = "cordvault-discord-emulator", about = "A local stand-in for Discord's HTTP API")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// Bot tokens to accept, comma-separated.
    #[arg(long, default_value = "test-bot-token")]
    tokens: String,
    /// Channel ids the bots may use, comma-separated.
    #[arg(long, default_value = "1000000000000001,1000000000000002")]
    channels: String,
    /// Seconds an attachment URL stays valid.
    #[arg(long, default_value_t = 3600)]
    url_lifetime_secs: u64,
    /// Messages per channel per 5 s.
    #[arg(long, default_value_t = 5)]
    messages_per_window: u32,
    /// Requests per second per token.
    #[arg(long, default_value_t = 50)]
    requests_per_second: u32,
    /// Chance of an injected 429 / 502 per request.
    #[arg(long, default_value_t = 0.0)]
    inject_429: f64,
    #[arg(long, default_value_t = 0.0)]
    inject_5xx: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let parse_ids = |list: &str| -> anyhow::Result<Vec<u64>> {
        list.split(',').filter(|id| !id.is_empty()).map(|id| Ok(id.trim().parse()?)).collect()
    };
    let config = EmulatorConfig {
        tokens: args.tokens.split(',').map(str::to_owned).collect(),
        channels: parse_ids(&args.channels)?,
        read_only_channels: Vec::new(),
        url_lifetime: Duration::from_secs(args.url_lifetime_secs),
        messages_per_window: args.messages_per_window,
        message_window: Duration::from_secs(5),
        requests_per_second: args.requests_per_second,
        inject_429: args.inject_429,
        inject_5xx: args.inject_5xx,
        ..Default::default()
    };
    let emulator = RunningEmulator::start_on(&args.listen, config).await?;
    println!("Discord API emulator on {} (DISCORD_API_BASE={})", emulator.url, emulator.url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
