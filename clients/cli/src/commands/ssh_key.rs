//! ssh-key add | ls | rm: the public keys that log you in to the SFTP gateway.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use cordvault_client::Client;
use cordvault_client::proto::SshKey;

use crate::cli::ssh_key::{AddArgs, LsArgs, RmArgs, SshKeyCommand};
use crate::output::{date_time, print_line};

/// More than any public key file holds; the server takes 16 KiB and says so.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

pub async fn run(client: &Client, command: SshKeyCommand) -> Result<()> {
    match command {
        SshKeyCommand::Add(args) => add(client, args).await,
        SshKeyCommand::Ls(args) => list(client, args).await,
        SshKeyCommand::Rm(args) => remove(client, args).await,
    }
}

async fn add(client: &Client, args: AddArgs) -> Result<()> {
    let text = read_key(&args.file)?;
    let key = client.add_ssh_key(&text).await?;
    print_line(format_args!("added {} ({}) as key {}", key.fingerprint, key.algorithm, key.id))?;
    Ok(())
}

/// The key file's text, or stdin's for `-`.
fn read_key(file: &Path) -> Result<String> {
    let (name, reader): (String, Box<dyn Read>) = if file.as_os_str() == "-" {
        ("stdin".to_owned(), Box::new(std::io::stdin()))
    } else {
        let opened = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        (file.display().to_string(), Box::new(opened))
    };
    let mut bytes = Vec::new();
    reader.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        bail!("{name} is larger than a public key file can be");
    }
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{name} is not text: not a public key"))?;
    if text.contains("PRIVATE KEY-----") {
        bail!("{name} holds a private key; give the public one (the .pub file next to it)");
    }
    Ok(text)
}

async fn list(client: &Client, args: LsArgs) -> Result<()> {
    for key in client.list_ssh_keys().await? {
        if args.json {
            print_line(json(&key))?;
        } else {
            print_line(summary(&key))?;
        }
    }
    Ok(())
}

async fn remove(client: &Client, args: RmArgs) -> Result<()> {
    let wanted = args.key.trim();
    let id = match wanted.parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            let fingerprint =
                if wanted.starts_with("SHA256:") { wanted.to_owned() } else { format!("SHA256:{wanted}") };
            let keys = client.list_ssh_keys().await?;
            match keys.iter().find(|key| key.fingerprint == fingerprint) {
                Some(key) => key.id,
                None => bail!("you have no SSH key {fingerprint} (`cordvault ssh-key ls` lists yours)"),
            }
        }
    };
    client.remove_ssh_key(id).await?;
    print_line(format_args!("removed key {id}"))?;
    Ok(())
}

/// One line of `ssh-key ls`: id, fingerprint, type, when added, comment.
fn summary(key: &SshKey) -> String {
    let comment = if key.comment.is_empty() { "-" } else { &key.comment };
    format!("{}  {}  {:<19}  {}  {comment}", key.id, key.fingerprint, key.algorithm, date_time(key.created_at_ms))
}

fn json(key: &SshKey) -> serde_json::Value {
    serde_json::json!({
        "id": key.id,
        "fingerprint": key.fingerprint,
        "algorithm": key.algorithm,
        "comment": key.comment,
        "created_at_ms": key.created_at_ms,
    })
}
