use clap::Parser;
use cordvault_thumbnail_worker::{ThumbnailFormat, WorkerConfig};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Makes thumbnails of pictures and videos for a cordvault manager.
#[derive(Parser)]
#[command(name = "cordvault-thumbnail-worker", version)]
struct Args {
    /// The manager's gRPC URL.
    #[arg(long, env = "MANAGER_ADDRESS", default_value = "http://127.0.0.1:8080")]
    manager_address: String,
    /// The password the manager expects from workers.
    #[arg(long, env = "SERVICE_PASSWORD", hide_env_values = true)]
    service_password: String,
    /// Thumbnails made at once.
    #[arg(long, env = "CAPACITY", default_value_t = 2)]
    capacity: u32,
    /// jpeg (small) or webp (lossless, keeps transparency).
    #[arg(long, env = "THUMBNAIL_FORMAT", default_value = "jpeg")]
    format: ThumbnailFormat,
    /// ffmpeg for video thumbnails; default: ffmpeg on PATH, else videos get none.
    #[arg(long, env = "FFMPEG")]
    ffmpeg: Option<std::path::PathBuf>,
    /// Logs at debug level.
    #[arg(long, env = "DEBUG_LOGGING")]
    debug_logging: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    cordvault_worker_runtime::init_logging(args.debug_logging);
    let mut config = WorkerConfig::new(args.manager_address, args.service_password);
    config.capacity = args.capacity.max(1);
    config.render.format = args.format;
    if args.ffmpeg.is_some() {
        config.render.ffmpeg = args.ffmpeg;
    }
    let mut worker = cordvault_thumbnail_worker::start(config);
    let result = tokio::select! {
        result = worker.wait() => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    if let Err(err) = result {
        eprintln!("cordvault-thumbnail-worker: {err:#}");
        std::process::exit(1);
    }
}
