//! One package job: download, analyse, seal, send back — each step
//! reported, every file in a work folder of the job's own that goes with it.

use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cordvault_core::package::{PackageKey, ResultSealer, new_iv};
use cordvault_proto::worker::v1 as pb;
use cordvault_proto::worker::v1::connect_request::Message as Outgoing;
use cordvault_store::ChunkStore;
use cordvault_worker_runtime::ManagerLink;

use crate::download::{DownloadError, copy_stored, download};
use crate::{AnalysisError, Limits, analyse};

/// The result goes back in pieces of this size.
const PIECE: usize = 1024 * 1024;

/// How a job ended, as its PackageResult says.
#[derive(Debug)]
enum Failure {
    Code(&'static str),
    /// Worth another attempt.
    Retry,
}

impl From<DownloadError> for Failure {
    fn from(err: DownloadError) -> Self {
        match err {
            DownloadError::Expired(_) => Failure::Code("EXPIRED_LINK"),
            DownloadError::Invalid(_) => Failure::Code("INVALID_LINK"),
            DownloadError::TooLarge(_) => Failure::Code("PACKAGE_TOO_LARGE"),
            DownloadError::Transient(_) | DownloadError::Disk(_) => Failure::Retry,
        }
    }
}

impl From<AnalysisError> for Failure {
    fn from(err: AnalysisError) -> Self {
        Failure::Code(err.code())
    }
}

/// Runs a job to its end and reports it; cancelling is dropping the future
/// (the work folder goes with it).
pub async fn run(
    job: pb::PackageJob,
    work_dir: PathBuf,
    limits: Limits,
    store: Arc<dyn ChunkStore>,
    link: ManagerLink,
) {
    let package_id = job.package_id.clone();
    let outcome = match tempfile::Builder::new().prefix("package-").tempdir_in(&work_dir) {
        Ok(folder) => process(&job, folder.path(), limits, store, &link).await,
        Err(err) => {
            tracing::warn!(%package_id, error = %err, folder = %work_dir.display(), "cannot make a work folder");
            Err(Failure::Retry)
        }
    };
    let result = match outcome {
        Ok((iv, size)) => pb::PackageResult { package_id, iv, size, error_code: String::new() },
        Err(Failure::Code(code)) => pb::PackageResult { package_id, error_code: code.to_owned(), ..Default::default() },
        Err(Failure::Retry) => pb::PackageResult { package_id, error_code: "RETRY".to_owned(), ..Default::default() },
    };
    link.send(Outgoing::PackageResult(result)).await;
}

async fn process(
    job: &pb::PackageJob,
    folder: &Path,
    limits: Limits,
    store: Arc<dyn ChunkStore>,
    link: &ManagerLink,
) -> Result<(String, u64), Failure> {
    let package_id = job.package_id.as_str();
    // The key arrives with the job and goes nowhere else.
    let key = PackageKey::parse(&job.key).map_err(|_| Failure::Code("UNKNOWN_ERROR"))?;
    progress(link, package_id, "DOWNLOADING").await;
    let zip = folder.join("package.zip");
    let copied = match &job.stored {
        Some(stored) => copy_stored(store, stored, job.max_package_bytes, &zip).await,
        None => download(&job.link, job.max_package_bytes, &zip).await,
    };
    let bytes = copied.inspect_err(|err| {
        tracing::info!(%package_id, error = %err, "package download failed");
    })?;
    tracing::info!(%package_id, bytes, "package downloaded");

    progress(link, package_id, "ANALYZING").await;
    let (database, sealed) = (folder.join("result.sqlite"), folder.join("result.sealed"));
    let id = package_id.to_owned();
    let (iv, size) = tokio::task::spawn_blocking(move || -> Result<(String, u64), Failure> {
        let report = analyse(&zip, &id, &database, &limits).inspect_err(|err| {
            tracing::info!(package_id = %id, error = %err, "package analysis failed");
        })?;
        tracing::info!(package_id = %id, ?report, "package analysed");
        seal(&database, &key, &sealed).map_err(|err| {
            tracing::warn!(package_id = %id, error = %err, "cannot seal a result");
            Failure::Retry
        })
    })
    .await
    .map_err(|_| Failure::Code("UNKNOWN_ERROR"))??;

    let mut file = std::fs::File::open(folder.join("result.sealed")).map_err(|_| Failure::Retry)?;
    loop {
        let mut piece = Vec::with_capacity(PIECE);
        (&mut file).take(PIECE as u64).read_to_end(&mut piece).map_err(|_| Failure::Retry)?;
        if piece.is_empty() {
            break;
        }
        let message = pb::PackageResultPiece { package_id: package_id.to_owned(), data: piece.into() };
        if !link.send(Outgoing::PackageResultPiece(message)).await {
            return Err(Failure::Retry);
        }
    }
    Ok((iv, size))
}

/// gzip(SQLite file) under the package key, as dumpus clients open it:
/// the IV (hex) and the size.
pub fn seal(database: &Path, key: &PackageKey, sealed: &Path) -> std::io::Result<(String, u64)> {
    let iv = new_iv();
    let out = BufWriter::new(std::fs::File::create(sealed)?);
    let mut gzip = flate2::write::GzEncoder::new(ResultSealer::new(key, &iv, out), flate2::Compression::default());
    std::io::copy(&mut std::fs::File::open(database)?, &mut gzip)?;
    let out = gzip.finish()?.finish()?;
    let size = out.into_inner().map_err(|err| err.into_error())?.metadata()?.len();
    Ok((hex::encode(iv), size))
}

async fn progress(link: &ManagerLink, package_id: &str, step: &str) {
    let message = pb::PackageProgress { package_id: package_id.to_owned(), step: step.to_owned() };
    link.send(Outgoing::PackageProgress(message)).await;
}
