//! ls, mkdir, mv, rename, rm: the folder tree without moving bytes.

use anyhow::{Result, bail};
use cordvault_client::proto::{Entry, EntryKind, SortField};
use cordvault_client::{Client, ConflictPolicy, ErrorCode, ListOptions};

use crate::cli::{LsArgs, MkdirArgs, MvArgs, RenameArgs, RmArgs, SortKey};
use crate::output::print_line;
use crate::remote_path;

pub async fn list(client: &Client, args: LsArgs) -> Result<()> {
    let path = remote_path::normalize(&args.path);
    let entry = client.stat(&path).await?;
    // Like ls(1): a file lists as itself.
    let entries = if is_folder(&entry) { list_sorted(client, &path, args.sort, args.desc).await? } else { vec![entry] };
    if args.long {
        print_long(&entries)
    } else {
        entries.iter().try_for_each(|entry| print_line(display_name(entry)))?;
        Ok(())
    }
}

/// Every entry of a folder, in the server's order (folders first).
async fn list_sorted(client: &Client, path: &str, sort: SortKey, descending: bool) -> Result<Vec<Entry>> {
    let sort_by = match sort {
        SortKey::Name => SortField::Name,
        SortKey::Size => SortField::Size,
        SortKey::Updated => SortField::Updated,
    };
    let options = ListOptions { sort_by, descending, ..Default::default() };
    Ok(client.list_all(path, options).await?)
}

fn print_long(entries: &[Entry]) -> Result<()> {
    let sizes: Vec<String> =
        entries.iter().map(|entry| if is_folder(entry) { "-".to_owned() } else { entry.size.to_string() }).collect();
    let size_width = sizes.iter().map(String::len).max().unwrap_or(0);
    let owner_width = entries.iter().map(|entry| entry.owner.len()).max().unwrap_or(0);
    for (entry, size) in entries.iter().zip(&sizes) {
        let kind = if is_folder(entry) { "folder" } else { "file" };
        let (owner, name) = (&entry.owner, display_name(entry));
        print_line(format_args!("{kind:<6}  {size:>size_width$}  {owner:<owner_width$}  {name}"))?;
    }
    Ok(())
}

fn display_name(entry: &Entry) -> String {
    if is_folder(entry) { format!("{}/", entry.name) } else { entry.name.clone() }
}

pub fn is_folder(entry: &Entry) -> bool {
    entry.kind() == EntryKind::Folder
}

pub async fn make_folder(client: &Client, args: MkdirArgs) -> Result<()> {
    let path = remote_path::normalize(&args.path);
    if !args.parents {
        // The server creates parents and accepts existing folders; plain
        // mkdir promises neither, so check first.
        if found(client.stat(&path).await)?.is_some() {
            bail!("{path} already exists");
        }
        if let Some(parent) = remote_path::parent(&path) {
            match found(client.stat(parent).await)? {
                None => bail!("cannot create {path}: {parent} does not exist (use -p to create parents)"),
                Some(entry) if !is_folder(&entry) => bail!("cannot create {path}: {parent} is a file"),
                Some(_) => {}
            }
        }
    }
    client.create_folder(&path).await?;
    Ok(())
}

pub async fn move_entry(client: &Client, args: MvArgs) -> Result<()> {
    let policy = if args.rename_on_conflict { ConflictPolicy::Rename } else { ConflictPolicy::Fail };
    let source = remote_path::normalize(&args.source);
    let destination = remote_path::normalize(&args.destination_folder);
    let entry = client.move_entry(&source, &destination, policy).await?;
    print_line(&entry.path)?;
    Ok(())
}

pub async fn rename(client: &Client, args: RenameArgs) -> Result<()> {
    let path = remote_path::normalize(&args.path);
    let entry = client.rename(&path, &args.new_name, ConflictPolicy::Fail).await?;
    print_line(&entry.path)?;
    Ok(())
}

pub async fn remove(client: &Client, args: RmArgs) -> Result<()> {
    let path = remote_path::normalize(&args.path);
    client.delete(&path, args.recursive).await?;
    Ok(())
}

/// A stat result where "not found" is an answer, not a failure.
pub fn found(result: cordvault_client::Result<Entry>) -> cordvault_client::Result<Option<Entry>> {
    match result {
        Ok(entry) => Ok(Some(entry)),
        Err(err) if err.code == ErrorCode::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}
