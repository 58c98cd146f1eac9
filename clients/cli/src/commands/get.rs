//! get: download a file (or part of it) or a whole folder tree, continuing
//! partial local files.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use cordvault_client::proto::Entry;
use cordvault_client::{Client, DownloadOptions, DownloadReport};

use crate::byte_range::ByteRange;
use crate::cli::GetArgs;
use crate::commands::tree::is_folder;
use crate::output::print_line;
use crate::parallel;
use crate::progress::{FileProgress, TransferProgress};
use crate::remote_path;
use crate::summary::Summary;

struct DownloadJob {
    remote: String,
    local: PathBuf,
    /// Bytes this job ends up with locally (the range's length for a range).
    size: u64,
}

#[derive(Clone, Copy)]
struct Settings {
    /// (offset, length) as the SDK takes it.
    range: Option<(u64, u64)>,
    resume: bool,
}

pub async fn run(client: &Client, args: GetArgs) -> Result<()> {
    let remote = remote_path::normalize(&args.remote);
    let entry = client.stat(&remote).await?;
    let local_is_dir = tokio::fs::metadata(&args.local).await.is_ok_and(|metadata| metadata.is_dir());
    // Into an existing directory under the remote name, else to the path given.
    let target =
        if local_is_dir && !entry.name.is_empty() { args.local.join(local_name(&entry)?) } else { args.local.clone() };
    let settings = Settings { range: None, resume: !args.no_resume };
    let (jobs, settings) = if is_folder(&entry) {
        if !args.recursive {
            bail!("{remote} is a folder (use -r to download it)");
        }
        if args.range.is_some() {
            bail!("--range applies to files, and {remote} is a folder");
        }
        (plan_tree(client, &remote, &target).await?, settings)
    } else {
        let range = args.range.map(|range| check_range(range, &entry)).transpose()?;
        let size = expected_len(range, entry.size);
        (vec![DownloadJob { remote, local: target, size }], Settings { range, ..settings })
    };
    let started = Instant::now();
    let summary = download_all(client, jobs, settings, args.parallel.into()).await?;
    print_line(summary.line("downloaded", started.elapsed()))?;
    Ok(())
}

/// The range as (offset, length), refused when it starts past the end.
fn check_range(range: ByteRange, entry: &Entry) -> Result<(u64, u64)> {
    if range.start >= entry.size && range.start > 0 {
        bail!("range starts at byte {} but {} holds {} bytes", range.start, entry.path, entry.size);
    }
    Ok(range.offset_and_length())
}

/// Bytes a download of `range` yields from a file of `size` bytes.
fn expected_len(range: Option<(u64, u64)>, size: u64) -> u64 {
    match range {
        None => size,
        Some((offset, 0)) => size.saturating_sub(offset),
        Some((offset, length)) => length.min(size.saturating_sub(offset)),
    }
}

/// Lists the tree breadth first, creating each local directory on the way.
async fn plan_tree(client: &Client, remote: &str, local: &Path) -> Result<Vec<DownloadJob>> {
    let mut jobs = Vec::new();
    let mut folders = VecDeque::from([(remote.to_owned(), local.to_owned())]);
    while let Some((folder, dir)) = folders.pop_front() {
        tokio::fs::create_dir_all(&dir).await.with_context(|| format!("cannot create {}", dir.display()))?;
        for entry in client.list(&folder).await? {
            let local = dir.join(local_name(&entry)?);
            if is_folder(&entry) {
                folders.push_back((entry.path, local));
            } else {
                jobs.push(DownloadJob { remote: entry.path, local, size: entry.size });
            }
        }
    }
    Ok(jobs)
}

/// The entry's name as a local path component; never one that climbs out.
fn local_name(entry: &Entry) -> Result<&str> {
    if !remote_path::is_safe_local_name(&entry.name) {
        bail!("{} has a name that cannot be a local file name", entry.path);
    }
    Ok(&entry.name)
}

async fn download_all(client: &Client, jobs: Vec<DownloadJob>, settings: Settings, parallel: usize) -> Result<Summary> {
    let progress = TransferProgress::new(jobs.iter().map(|job| job.size).sum(), jobs.len());
    let mut summary = Summary::default();
    let work = {
        let client = client.clone();
        move |job: DownloadJob| {
            let (client, progress) = (client.clone(), progress.clone());
            async move {
                let file_progress = progress.file(&job.remote, job.size);
                let report = download_one(&client, &job, settings, &file_progress)
                    .await
                    .with_context(|| format!("cannot download {}", job.remote))?;
                file_progress.finish(job.size);
                Ok(report.bytes_fetched)
            }
        }
    };
    parallel::for_each(jobs, parallel, work, |bytes_fetched| {
        summary.add(bytes_fetched, false);
        Ok(())
    })
    .await?;
    Ok(summary)
}

async fn download_one(
    client: &Client,
    job: &DownloadJob,
    settings: Settings,
    progress: &Arc<FileProgress>,
) -> Result<DownloadReport> {
    // The SDK starts over by itself when a resumed file turns out not to match.
    let resume = settings.resume && settings.range.is_none();
    let options = DownloadOptions { range: settings.range, resume, progress: Some(progress.callback()) };
    Ok(client.download_to(&job.remote, &job.local, &options).await?)
}
