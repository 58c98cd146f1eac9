//! put: upload a file or a directory tree, skipping files the server already
//! holds and resuming interrupted uploads (the SDK finds the open session by
//! path, size and SHA-256).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use cordvault_client::proto::Entry;
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions, UploadReport};
use serde::Serialize;

use crate::cli::PutArgs;
use crate::commands::tree::{found, is_folder};
use crate::local_files::{self, remote_path_under, upload_name};
use crate::output::print_line;
use crate::parallel;
use crate::progress::{FileProgress, TransferProgress};
use crate::remote_path;
use crate::summary::Summary;

/// One local file and where it goes.
struct UploadJob {
    local: PathBuf,
    remote: String,
    size: u64,
    /// What the target path holds now, if anything.
    existing: Option<Entry>,
}

/// The `--json` line for one file.
#[derive(Debug, Serialize)]
struct FileReport {
    path: String,
    size: u64,
    chunk_count: u64,
    chunks_sent: u64,
    chunks_already_durable: u64,
    resumed: bool,
    skipped: bool,
}

impl FileReport {
    fn uploaded(report: &UploadReport) -> FileReport {
        FileReport {
            path: report.entry.path.clone(),
            size: report.entry.size,
            chunk_count: report.chunk_count,
            chunks_sent: report.chunks_sent,
            chunks_already_durable: report.chunks_already_durable,
            resumed: report.resumed,
            skipped: false,
        }
    }

    fn skipped(entry: &Entry) -> FileReport {
        FileReport {
            path: entry.path.clone(),
            size: entry.size,
            chunk_count: 0,
            chunks_sent: 0,
            chunks_already_durable: 0,
            resumed: false,
            skipped: true,
        }
    }
}

#[derive(Clone)]
struct Settings {
    streams: usize,
    conflict: ConflictPolicy,
}

pub async fn run(client: &Client, args: PutArgs) -> Result<()> {
    let local = args.local.as_path();
    let metadata = std::fs::metadata(local).with_context(|| format!("cannot read {}", local.display()))?;
    let remote = remote_path::normalize(&args.remote);
    let jobs = if metadata.is_dir() {
        plan_directory(client, local, &remote).await?
    } else {
        // A trailing slash says the target is a folder, so it must exist.
        let into_folder = args.remote.ends_with('/');
        vec![plan_file(client, local, metadata.len(), &remote, into_folder).await?]
    };
    let conflict = match (args.overwrite, args.rename) {
        (true, _) => ConflictPolicy::Overwrite,
        (_, true) => ConflictPolicy::Rename,
        _ => ConflictPolicy::Fail,
    };
    let settings = Settings { streams: args.streams.into(), conflict };
    let started = Instant::now();
    let summary = upload_all(client, jobs, settings, args.parallel.into(), args.json).await?;
    if !args.json {
        print_line(summary.line("uploaded", started.elapsed()))?;
    }
    Ok(())
}

async fn plan_file(client: &Client, local: &Path, size: u64, remote: &str, into_folder: bool) -> Result<UploadJob> {
    let target = match found(client.stat(remote).await)? {
        Some(entry) if is_folder(&entry) => {
            let name = upload_name(local)?.ok_or_else(|| anyhow!("{} has no file name", local.display()))?;
            remote_path::join(remote, &name)
        }
        Some(_) if into_folder => bail!("{remote} is a file, not a folder"),
        Some(entry) => {
            return Ok(UploadJob { local: local.to_owned(), remote: remote.to_owned(), size, existing: Some(entry) });
        }
        None if into_folder => bail!("{remote} does not exist"),
        None => remote.to_owned(),
    };
    let existing = found(client.stat(&target).await)?;
    Ok(UploadJob { local: local.to_owned(), remote: target, size, existing })
}

/// Recreates `local` as `remote/<its name>`: folders first, then one job per file.
async fn plan_directory(client: &Client, local: &Path, remote: &str) -> Result<Vec<UploadJob>> {
    if let Some(entry) = found(client.stat(remote).await)?
        && !is_folder(&entry)
    {
        bail!("{remote} is a file, not a folder");
    }
    let base = match upload_name(local)? {
        Some(name) => remote_path::join(remote, &name),
        None => remote.to_owned(),
    };
    let root = local.to_owned();
    let tree = tokio::task::spawn_blocking(move || local_files::walk(&root)).await.context("walking task failed")??;
    for path in &tree.skipped {
        eprintln!("cordvault: warning: skipping {} (a symlinked directory or special file)", path.display());
    }
    for leaf in &tree.leaf_dirs {
        let folder = remote_path_under(&base, leaf)?;
        client.create_folder(&folder).await.with_context(|| format!("cannot create {folder}"))?;
    }
    let mut jobs = Vec::with_capacity(tree.files.len());
    for file in tree.files {
        let remote = remote_path_under(&base, &file.relative)?;
        jobs.push(UploadJob { local: local.join(&file.relative), remote, size: file.size, existing: None });
    }
    // One listing per folder rather than one stat per file.
    let folders: BTreeSet<String> =
        jobs.iter().filter_map(|job| remote_path::parent(&job.remote).map(str::to_owned)).collect();
    let mut existing: HashMap<String, Entry> = HashMap::new();
    for folder in folders {
        existing.extend(client.list(&folder).await?.into_iter().map(|entry| (entry.path.clone(), entry)));
    }
    for job in &mut jobs {
        job.existing = existing.remove(&job.remote);
    }
    Ok(jobs)
}

async fn upload_all(
    client: &Client,
    jobs: Vec<UploadJob>,
    settings: Settings,
    parallel: usize,
    json: bool,
) -> Result<Summary> {
    let progress = TransferProgress::new(jobs.iter().map(|job| job.size).sum(), jobs.len());
    let mut summary = Summary::default();
    let work = {
        let (client, progress) = (client.clone(), progress.clone());
        move |job: UploadJob| {
            let (client, progress, settings) = (client.clone(), progress.clone(), settings.clone());
            async move {
                let file_progress = progress.file(&job.remote, job.size);
                let report = upload_one(&client, &job, &settings, &file_progress)
                    .await
                    .with_context(|| format!("cannot upload {}", job.local.display()))?;
                file_progress.finish(job.size);
                Ok(report)
            }
        }
    };
    parallel::for_each(jobs, parallel, work, |report: FileReport| {
        summary.add(report.size, report.skipped);
        if json {
            let line = serde_json::to_string(&report)?;
            progress.suspend(|| print_line(line))?;
        }
        Ok(())
    })
    .await?;
    Ok(summary)
}

async fn upload_one(
    client: &Client,
    job: &UploadJob,
    settings: &Settings,
    progress: &Arc<FileProgress>,
) -> Result<FileReport> {
    if let Some(existing) = &job.existing
        && !is_folder(existing)
        && existing.size == job.size
        && local_files::sha256_hex(job.local.clone()).await? == existing.sha256
    {
        return Ok(FileReport::skipped(existing));
    }
    let options = UploadOptions {
        streams: streams_for(job.size, settings.streams),
        conflict: settings.conflict,
        progress: Some(progress.callback()),
        ..Default::default()
    };
    match client.upload_file(&job.local, &job.remote, &options).await {
        Ok(report) => Ok(FileReport::uploaded(&report)),
        Err(err) if err.code == ErrorCode::AlreadyExists && settings.conflict == ConflictPolicy::Fail => {
            Err(anyhow!("{} (use --overwrite or --rename)", err.message))
        }
        Err(err) => Err(err.into()),
    }
}

/// The SDK opens every stream it is given even when the file has fewer
/// chunks, and the chunk size is only known once the upload starts; assume
/// the smallest usual chunk (1 MiB) so small files use one stream.
fn streams_for(size: u64, wanted: usize) -> usize {
    let chunks = usize::try_from(size.div_ceil(1 << 20)).unwrap_or(usize::MAX);
    chunks.min(wanted).max(1)
}
