//! package submit | status | fetch | delete: Discord data packages analysed
//! by the server, their results opened only here, with the key.

use std::io::Read;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cordvault_client::Client;
use cordvault_client::proto::{PackageStatus, PackageStep};
use cordvault_core::package::{DISCORD_LINK_PREFIX, PackageKey};

use crate::cli::package::{FetchArgs, PackageArgs, PackageCommand, SubmitArgs};
use crate::output::print_line;

pub async fn run(client: &Client, command: PackageCommand) -> Result<()> {
    match command {
        PackageCommand::Submit(args) => submit(client, args).await,
        PackageCommand::Status(args) => status(client, args).await,
        PackageCommand::Fetch(args) => fetch(client, args).await,
        PackageCommand::Delete(args) => delete(client, args).await,
    }
}

/// The key in a Discord link, or the argument itself.
fn key_of(link_or_key: &str) -> Result<PackageKey> {
    let key = link_or_key.trim();
    let key = key.strip_prefix(DISCORD_LINK_PREFIX).unwrap_or(key);
    PackageKey::parse(key).context("give the package's Discord link or its key")
}

async fn submit(client: &Client, args: SubmitArgs) -> Result<()> {
    let is_link = args.link.starts_with("https://") || args.link.starts_with("http://");
    let (package_id, queued, key) = if args.stored {
        let key = PackageKey::generate();
        let (package_id, queued) = client.submit_stored_package(&args.link, &key).await?;
        (package_id, queued, Some(key))
    } else if is_link {
        let (package_id, queued) = client.submit_package(&args.link).await?;
        (package_id, queued, None)
    } else {
        let key = PackageKey::generate();
        let (package_id, queued) = client.upload_package(args.link.as_ref(), &key).await?;
        (package_id, queued, Some(key))
    };
    let what = if queued { "queued" } else { "already known" };
    print_line(format!("{package_id}\t{what}"))?;
    // A key made here is the only way to the result: the user must keep it.
    if let Some(key) = &key {
        print_line(format!("key\t{}", key.expose()))?;
        eprintln!("keep this key: it alone opens the result (cordvault package fetch KEY)");
    }
    if !args.wait {
        return Ok(());
    }
    let key = match key {
        Some(key) => key,
        None => key_of(&args.link)?,
    };
    let status = wait(client, &key).await?;
    if status.errored {
        bail!("the package failed: {}", status.error_code);
    }
    Ok(())
}

/// Polls every second, showing the step and the queue on stderr.
async fn wait(client: &Client, key: &PackageKey) -> Result<PackageStatus> {
    loop {
        let status = client.package_status(key).await?;
        if status.errored || status.step() == PackageStep::Processed {
            eprintln!("\r\x1b[K{}", describe(&status));
            return Ok(status);
        }
        eprint!("\r\x1b[K{}", describe(&status));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn describe(status: &PackageStatus) -> String {
    if status.errored {
        return format!("failed: {}", status.error_code);
    }
    match status.step() {
        PackageStep::Locked => {
            let lane = if status.premium { "premium" } else { "standard" };
            let total = status.standard_queue_total + status.premium_queue_total;
            format!("queued: {} ahead ({lane} lane), {total} in the queue", status.queue_position)
        }
        PackageStep::Downloading => "downloading".to_owned(),
        PackageStep::Analyzing => "analysing".to_owned(),
        PackageStep::Processed => "processed".to_owned(),
        PackageStep::Unspecified => "unknown".to_owned(),
    }
}

async fn status(client: &Client, args: PackageArgs) -> Result<()> {
    let status = client.package_status(&key_of(&args.link_or_key)?).await?;
    if args.json {
        let json = serde_json::json!({
            "package_id": status.package_id,
            "step": status.step().as_str_name(),
            "errored": status.errored,
            "error_code": status.error_code,
            "premium": status.premium,
            "queue_position": status.queue_position,
            "standard_queue_total": status.standard_queue_total,
            "premium_queue_total": status.premium_queue_total,
        });
        print_line(json.to_string())?;
        return Ok(());
    }
    print_line(format!("{}\t{}", status.package_id, describe(&status)))?;
    Ok(())
}

async fn fetch(client: &Client, args: FetchArgs) -> Result<()> {
    let key = key_of(&args.link_or_key)?;
    let result = client.fetch_package(&key).await?;
    let mut database = Vec::new();
    flate2::read::GzDecoder::new(&result.gzipped_database[..])
        .read_to_end(&mut database)
        .context("the result does not unpack: is it a dumpus result?")?;
    std::fs::write(&args.output, &database).with_context(|| format!("cannot write {}", args.output.display()))?;
    print_line(format!("{}\t{} bytes", args.output.display(), database.len()))?;
    Ok(())
}

async fn delete(client: &Client, args: PackageArgs) -> Result<()> {
    let key = key_of(&args.link_or_key)?;
    if !client.delete_package(&key).await? {
        bail!("no such package");
    }
    print_line(format!("{}\tdeleted", key.package_id()))?;
    Ok(())
}
