use clap::Parser;
use cordvault_analysis_worker::WorkerConfig;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Analyses Discord data packages for a cordvault manager.
#[derive(Parser)]
#[command(name = "cordvault-analysis-worker", version)]
struct Args {
    /// The manager's gRPC URL.
    #[arg(long, env = "MANAGER_ADDRESS", default_value = "http://127.0.0.1:8080")]
    manager_address: String,
    /// The password the manager expects from workers.
    #[arg(long, env = "SERVICE_PASSWORD", hide_env_values = true)]
    service_password: String,
    /// Packages analysed at once.
    #[arg(long, env = "CAPACITY", default_value_t = 1)]
    capacity: u32,
    /// Where downloads and scratch files go while a package is analysed.
    #[arg(long, env = "WORK_DIR", default_value = "./analysis-work")]
    work_dir: std::path::PathBuf,
    /// Logs at debug level.
    #[arg(long, env = "DEBUG_LOGGING")]
    debug_logging: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    cordvault_worker_runtime::init_logging(args.debug_logging);
    let mut config = WorkerConfig::new(args.manager_address, args.service_password, args.work_dir);
    config.capacity = args.capacity.max(1);
    let mut worker = cordvault_analysis_worker::start(config);
    let result = tokio::select! {
        result = worker.wait() => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    if let Err(err) = result {
        eprintln!("cordvault-analysis-worker: {err:#}");
        std::process::exit(1);
    }
}
