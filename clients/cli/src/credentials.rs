//! The token `login` saves: `credentials.json` in the configuration directory
//! (`$CORDVAULT_CONFIG_DIR`, else the platform's config dir + `cordvault`).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedCredentials {
    pub server: String,
    pub token: String,
}

fn config_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CORDVAULT_CONFIG_DIR").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let base =
        dirs::config_dir().ok_or_else(|| anyhow!("cannot find a configuration directory; set CORDVAULT_CONFIG_DIR"))?;
    Ok(base.join("cordvault"))
}

fn credentials_path() -> Result<PathBuf> {
    Ok(config_dir()?.join("credentials.json"))
}

/// The saved credentials; None when nobody logged in yet.
pub fn load() -> Result<Option<SavedCredentials>> {
    let path = credentials_path()?;
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    let saved = serde_json::from_str(&text)
        .with_context(|| format!("{} is damaged; run `cordvault login` again", path.display()))?;
    Ok(Some(saved))
}

/// Saves atomically and readable by the owner only: the token is a password.
pub fn save(credentials: &SavedCredentials) -> Result<PathBuf> {
    let dir = config_dir()?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("credentials.json");
    let staging = dir.join("credentials.json.tmp");
    let write = || -> std::io::Result<()> {
        let mut file = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&staging)?;
        // `mode` applies only to new files; a leftover staging file keeps its own.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        file.write_all(serde_json::to_string_pretty(credentials)?.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&staging, &path)
    };
    write().with_context(|| format!("cannot save {}", path.display()))?;
    Ok(path)
}
