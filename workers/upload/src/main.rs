use clap::{Parser, Subcommand};
use cordvault_upload_worker::WorkerConfig;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "cordvault-worker", version, about = "cordvault workers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Takes chunks from clients and writes them into the chunk store.
    Upload(UploadArgs),
}

#[derive(clap::Args)]
struct UploadArgs {
    /// The manager's gRPC URL.
    #[arg(long, env = "MANAGER_ADDRESS", default_value = "http://127.0.0.1:8080")]
    manager_address: String,
    /// The password the manager expects from workers.
    #[arg(long, env = "SERVICE_PASSWORD", hide_env_values = true)]
    service_password: String,
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 9000)]
    port: u16,
    /// Interface to listen on.
    #[arg(long, env = "LISTEN_HOST", default_value = "127.0.0.1")]
    host: String,
    /// The URL clients reach this worker at; default http://HOST:PORT.
    #[arg(long, env = "OWN_ADDRESS")]
    own_address: Option<String>,
    /// Uploads taken at once.
    #[arg(long, env = "CAPACITY", default_value_t = 1)]
    capacity: u32,
    /// Discord channel ids of this worker's own (the original gave each
    /// upload service its channel); default: the manager's.
    #[arg(long, env = "DISCORD_CHANNEL_IDS", value_delimiter = ',')]
    discord_channel_ids: Option<Vec<u64>>,
    /// Logs at debug level.
    #[arg(long, env = "DEBUG_LOGGING")]
    debug_logging: bool,
}

#[tokio::main]
async fn main() {
    let Cli { command: Command::Upload(args) } = Cli::parse();
    cordvault_worker_runtime::init_logging(args.debug_logging);
    let config = WorkerConfig {
        manager_address: args.manager_address,
        service_password: args.service_password,
        listen: format!("{}:{}", args.host, args.port),
        own_address: args.own_address,
        capacity: args.capacity.max(1),
        discord_channels: args.discord_channel_ids,
    };
    let result = async {
        let mut worker = cordvault_upload_worker::start(config).await?;
        tokio::select! {
            result = worker.wait() => result,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    }
    .await;
    if let Err(err) = result {
        eprintln!("cordvault-worker: {err:#}");
        std::process::exit(1);
    }
}
