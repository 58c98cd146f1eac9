//! The server's secrets: the JWT key pair, the master key and the service
//! password. Given by environment, or generated on first start and kept in
//! the data directory.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cordvault_core::crypto::{MasterKey, SecretKey, random_bytes, random_hex};
use ring::signature::{Ed25519KeyPair, KeyPair};

/// Secrets as they appear in a `.env` file.
#[derive(Debug, Clone, Default)]
pub struct KeySettings {
    /// Base64 of a PEM private key (Ed25519 or RSA).
    pub private_key: Option<String>,
    pub public_key: Option<String>,
    /// Base64 of 32 bytes.
    pub message_encryption_key: Option<String>,
    pub service_password: Option<String>,
}

/// Secrets ready for use.
#[derive(Clone)]
pub struct ServerKeys {
    pub private_pem: String,
    pub public_pem: String,
    /// None when encryption was explicitly disabled.
    pub master: Option<MasterKey>,
    pub service_password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("missing required settings: {}; set all of them, or none to use keys generated in the data directory", .0.join(", "))]
    Missing(Vec<&'static str>),
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("cannot keep keys in {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

const KEY_FILE: &str = "keys.env";

/// Fresh secrets: an Ed25519 JWT key pair, a master key, a service password.
pub fn generate() -> KeySettings {
    let seed = random_bytes::<32>();
    let pair = Ed25519KeyPair::from_seed_unchecked(&seed).expect("32-byte seed");
    // PKCS#8 v1 and SPKI wrappers for Ed25519 (RFC 8410).
    let private_der =
        [&[0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20][..], &seed]
            .concat();
    let public_der =
        [&[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00][..], pair.public_key().as_ref()]
            .concat();
    KeySettings {
        private_key: Some(BASE64.encode(pem("PRIVATE KEY", &private_der))),
        public_key: Some(BASE64.encode(pem("PUBLIC KEY", &public_der))),
        message_encryption_key: Some(BASE64.encode(SecretKey::generate().as_bytes())),
        service_password: Some(random_hex::<24>()),
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = BASE64.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|line| std::str::from_utf8(line).expect("base64")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// The `.env` text `keygen` prints and the data directory keeps.
pub fn env_file_text(settings: &KeySettings) -> String {
    let mut text = String::from("# cordvault secrets; keep this file private\n");
    for (name, value) in [
        ("PRIVATE_KEY", &settings.private_key),
        ("PUBLIC_KEY", &settings.public_key),
        ("MESSAGE_ENCRYPTION_KEY", &settings.message_encryption_key),
        ("SERVICE_PASSWORD", &settings.service_password),
    ] {
        if let Some(value) = value {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    text
}

fn parse_env_file(text: &str) -> KeySettings {
    let mut settings = KeySettings::default();
    for line in text.lines().map(str::trim).filter(|line| !line.starts_with('#')) {
        let Some((name, value)) = line.split_once('=') else { continue };
        let value = Some(value.trim().to_owned());
        match name.trim() {
            "PRIVATE_KEY" => settings.private_key = value,
            "PUBLIC_KEY" => settings.public_key = value,
            "MESSAGE_ENCRYPTION_KEY" => settings.message_encryption_key = value,
            "SERVICE_PASSWORD" => settings.service_password = value,
            _ => {}
        }
    }
    settings
}

/// Decides the secrets: from `given` when any key is set there (then every
/// key must be), else from the data directory, generating them on first start.
pub fn resolve(given: KeySettings, data_dir: &Path, encryption_disabled: bool) -> Result<ServerKeys, KeyError> {
    let explicit = given.private_key.is_some() || given.public_key.is_some() || given.message_encryption_key.is_some();
    let settings = if explicit { given.clone() } else { load_or_generate(data_dir)? };
    let mut missing = Vec::new();
    if settings.private_key.is_none() {
        missing.push("PRIVATE_KEY");
    }
    if settings.public_key.is_none() {
        missing.push("PUBLIC_KEY");
    }
    if settings.message_encryption_key.is_none() && !encryption_disabled {
        missing.push("MESSAGE_ENCRYPTION_KEY (or DISABLE_ENCRYPTION=true)");
    }
    if !missing.is_empty() {
        return Err(KeyError::Missing(missing));
    }
    let master = match (&settings.message_encryption_key, encryption_disabled) {
        (_, true) => None,
        (Some(key), false) => Some(MasterKey::new(decode_master(key)?)),
        (None, false) => unreachable!("checked above"),
    };
    Ok(ServerKeys {
        private_pem: decode_pem("PRIVATE_KEY", settings.private_key.as_deref().unwrap_or_default())?,
        public_pem: decode_pem("PUBLIC_KEY", settings.public_key.as_deref().unwrap_or_default())?,
        master,
        service_password: given.service_password.or(settings.service_password).unwrap_or_else(random_hex::<24>),
    })
}

fn load_or_generate(data_dir: &Path) -> Result<KeySettings, KeyError> {
    let path = data_dir.join(KEY_FILE);
    let io = |source| KeyError::Io { path: path.display().to_string(), source };
    match std::fs::read_to_string(&path) {
        Ok(text) => return Ok(parse_env_file(&text)),
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(io(err)),
        Err(_) => {}
    }
    let settings = generate();
    crate::data_dir::create_private_dir(data_dir).map_err(io)?;
    write_private(&path, &env_file_text(&settings)).map_err(io)?;
    tracing::info!(path = %path.display(), "generated new server keys");
    Ok(settings)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn decode_pem(name: &'static str, value: &str) -> Result<String, KeyError> {
    let invalid = |reason: String| KeyError::Invalid { name, reason };
    // A PEM pasted as is works too.
    if value.contains("-----BEGIN") {
        return Ok(value.replace("\\n", "\n"));
    }
    let bytes = BASE64.decode(value.trim()).map_err(|err| invalid(format!("not base64: {err}")))?;
    String::from_utf8(bytes).map_err(|_| invalid("not a base64-encoded PEM".into()))
}

fn decode_master(value: &str) -> Result<SecretKey, KeyError> {
    let invalid = |reason: String| KeyError::Invalid { name: "MESSAGE_ENCRYPTION_KEY", reason };
    let bytes = BASE64
        .decode(value.trim())
        .or_else(|_| hex::decode(value.trim()))
        .map_err(|_| invalid("must be 32 bytes in base64 or hex".into()))?;
    SecretKey::from_bytes(&bytes).map_err(|err| invalid(err.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_are_all_named() {
        let given = KeySettings { public_key: Some("x".into()), ..Default::default() };
        let err = resolve(given, Path::new("/nonexistent"), false).err().expect("must fail");
        let message = err.to_string();
        assert!(message.contains("PRIVATE_KEY") && message.contains("MESSAGE_ENCRYPTION_KEY"), "{message}");
        assert!(!message.contains("PUBLIC_KEY,"), "{message}");
    }

    #[test]
    fn generated_keys_round_trip_through_the_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve(KeySettings::default(), dir.path(), false).unwrap();
        let again = resolve(KeySettings::default(), dir.path(), false).unwrap();
        assert_eq!(first.private_pem, again.private_pem);
        assert_eq!(first.service_password, again.service_password);
        let issuer = crate::services::tokens::TokenIssuer::from_pem(
            &first.private_pem,
            &first.public_pem,
            std::time::Duration::from_secs(60),
        );
        assert!(issuer.is_ok(), "generated keys must sign and verify");
    }
}
