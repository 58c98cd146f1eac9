//! Discord data packages: the key only their owner holds, the id derived
//! from it, and the sealing of an analysis result — byte-compatible with
//! dumpus-api, so that its web client opens cordvault's results.
//!
//! The key is the `upn` value of the link Discord emails (or a key the
//! client makes up for a zip it uploads itself). The package id is the
//! lowercase hex MD5 of the key; a caller proves it holds the key by
//! presenting it, and MD5(key) == id authorises the call. The result is
//! gzip(SQLite) under AES-256-CBC with PKCS#7 padding, the key being
//! SHA-256(key) and the IV 16 random bytes handed out as hex.

use std::fmt;
use std::io::{self, Write};

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest, Md5};

use crate::{Error, Result};

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

const BLOCK: usize = 16;
/// Longer than any `upn` Discord sends (they are around 1,000 characters).
const MAX_KEY_LEN: usize = 8192;
/// A key a client makes must be too long to guess: its holder alone opens
/// the package.
const MIN_CLIENT_KEY_LEN: usize = 32;

/// The prefix of the links Discord emails; the key (`upn`) follows it.
pub const DISCORD_LINK_PREFIX: &str = "https://click.discord.com/ls/click?upn=";

/// The secret a package's owner holds. Its `Debug` and `Display` never show
/// it, so it cannot reach a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PackageKey(String);

impl PackageKey {
    /// Accepts what a link's `upn` holds: 1 to 8,192 printable ASCII
    /// characters without spaces.
    pub fn parse(key: &str) -> Result<PackageKey> {
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(Error::invalid_argument(format!("a package key has 1 to {MAX_KEY_LEN} characters")));
        }
        if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(Error::invalid_argument("a package key holds printable ASCII characters only"));
        }
        Ok(PackageKey(key.to_owned()))
    }

    /// A key a client made for a zip it uploads or has stored: 32 to 8,192
    /// characters of A-Z, a-z, 0-9, '-', '.' and '_' (as a `upn` is).
    pub fn parse_client_made(key: &str) -> Result<PackageKey> {
        let valid_chars = key.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_'));
        if !(MIN_CLIENT_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) || !valid_chars {
            return Err(Error::invalid_argument(format!(
                "a package key made by a client has {MIN_CLIENT_KEY_LEN} to {MAX_KEY_LEN} characters of A-Z, a-z, 0-9, '-', '.' and '_'"
            )));
        }
        Ok(PackageKey(key.to_owned()))
    }

    /// The key an uploaded zip's chunks are sealed under while it waits for
    /// analysis: derived from the package key, so that the stored zip opens
    /// only while its owner's key is at hand.
    pub fn stored_zip_key(&self) -> [u8; 32] {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(b"cordvault stored package zip v1\0");
        context.update(self.0.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(context.finish().as_ref());
        key
    }

    /// A new random key, for a zip the client uploads itself.
    pub fn generate() -> PackageKey {
        PackageKey(crate::crypto::random_hex::<48>())
    }

    pub fn package_id(&self) -> PackageId {
        PackageId(hex::encode(Md5::digest(self.0.as_bytes())))
    }

    /// The secret itself, for the few places that must send it on: the
    /// download link, the worker that seals the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn cipher_key(&self) -> [u8; 32] {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(digest.as_ref());
        key
    }
}

impl fmt::Debug for PackageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PackageKey(<redacted>)")
    }
}

/// A package's public name: 32 lowercase hex characters, the MD5 of its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageId(String);

impl PackageId {
    /// The demo package, which needs no key.
    pub const DEMO: &'static str = "demo";

    pub fn parse(id: &str) -> Result<PackageId> {
        if id.len() != 32 || !id.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::invalid_argument("a package id is 32 lowercase hex characters"));
        }
        Ok(PackageId(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `key` is this package's key. (The id is public, in every
    /// URL, so a plain comparison leaks nothing.)
    pub fn is_opened_by(&self, key: &PackageKey) -> bool {
        key.package_id() == *self
    }
}

impl fmt::Display for PackageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fresh random IV, as the result's `iv` field carries it: 32 hex characters.
pub fn new_iv() -> [u8; BLOCK] {
    crate::crypto::random_bytes::<BLOCK>()
}

/// Encrypts everything written to it under the package key, in CBC mode,
/// holding at most one partial block; [`ResultSealer::finish`] pads.
pub struct ResultSealer<W: Write> {
    cipher: Aes256CbcEnc,
    pending: Vec<u8>,
    out: W,
}

impl<W: Write> ResultSealer<W> {
    pub fn new(key: &PackageKey, iv: &[u8; BLOCK], out: W) -> ResultSealer<W> {
        ResultSealer { cipher: Aes256CbcEnc::new(&key.cipher_key().into(), iv.into()), pending: Vec::new(), out }
    }

    /// Pads the last block (PKCS#7) and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let pad = BLOCK - self.pending.len() % BLOCK;
        self.pending.extend(std::iter::repeat_n(pad as u8, pad));
        self.encrypt_pending()?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn encrypt_pending(&mut self) -> io::Result<()> {
        let whole = self.pending.len() / BLOCK * BLOCK;
        for block in self.pending[..whole].chunks_exact_mut(BLOCK) {
            self.cipher.encrypt_block_mut(block.into());
        }
        self.out.write_all(&self.pending[..whole])?;
        self.pending.drain(..whole);
        Ok(())
    }
}

impl<W: Write> Write for ResultSealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(data);
        if self.pending.len() >= 64 * 1024 {
            self.encrypt_pending()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Decrypts a sealed result whole (the CLI's `package fetch`).
pub fn open_result(key: &PackageKey, iv_hex: &str, sealed: &[u8]) -> Result<Vec<u8>> {
    let iv: [u8; BLOCK] = hex::decode(iv_hex)
        .ok()
        .and_then(|iv| iv.try_into().ok())
        .ok_or_else(|| Error::invalid_argument("the IV is 32 hex characters"))?;
    Aes256CbcDec::new(&key.cipher_key().into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(sealed)
        .map_err(|_| Error::permission_denied("the result does not open with this key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(key: &PackageKey, iv: &[u8; BLOCK], plain: &[u8], piece: usize) -> Vec<u8> {
        let mut sealer = ResultSealer::new(key, iv, Vec::new());
        for part in plain.chunks(piece.max(1)) {
            sealer.write_all(part).unwrap();
        }
        sealer.finish().unwrap()
    }

    #[test]
    fn the_id_is_the_md5_of_the_key() {
        let key = PackageKey::parse("abc").unwrap();
        assert_eq!(key.package_id().as_str(), "900150983cd24fb0d6963f7d28e17f72");
        assert!(key.package_id().is_opened_by(&key));
        assert!(!key.package_id().is_opened_by(&PackageKey::parse("abd").unwrap()));
        assert!(PackageId::parse("900150983CD24FB0D6963F7D28E17F72").is_err());
        assert!(PackageId::parse("../etc").is_err());
        assert!(PackageKey::parse("has space").is_err());
        assert!(PackageKey::parse("").is_err());
        assert!(!format!("{key:?}").contains("abc"));
    }

    #[test]
    fn keys_clients_make_are_long_and_url_safe() {
        let generated = PackageKey::generate();
        assert!(PackageKey::parse_client_made(generated.expose()).is_ok());
        assert!(PackageKey::parse_client_made(&"a".repeat(31)).is_err());
        assert!(PackageKey::parse_client_made(&format!("{}/", "a".repeat(40))).is_err());
        assert!(PackageKey::parse_client_made(&"a".repeat(8193)).is_err());
        // The stored zip's key depends on the package key, and only on it.
        let other = PackageKey::generate();
        assert_eq!(generated.stored_zip_key(), generated.clone().stored_zip_key());
        assert_ne!(generated.stored_zip_key(), other.stored_zip_key());
    }

    #[test]
    fn sealing_matches_one_shot_cbc_and_opens_again() {
        let key = PackageKey::generate();
        let iv = new_iv();
        for len in [0usize, 1, 15, 16, 17, 100_000] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let expected =
                Aes256CbcEnc::new(&key.cipher_key().into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(&plain);
            for piece in [1, 5, 4096, 70_000] {
                assert_eq!(seal(&key, &iv, &plain, piece), expected, "len {len}, pieces of {piece}");
            }
            assert_eq!(open_result(&key, &hex::encode(iv), &expected).unwrap(), plain);
            let other = PackageKey::generate();
            assert_ne!(open_result(&other, &hex::encode(iv), &expected).ok(), Some(plain));
        }
    }

    /// The known answer, from `printf dumpus | openssl enc -aes-256-cbc
    /// -K $(printf key | sha256sum | cut -c1-64) -iv 000…0`.
    #[test]
    fn matches_openssl() {
        let key = PackageKey::parse("key").unwrap();
        assert_eq!(hex::encode(seal(&key, &[0u8; BLOCK], b"dumpus", 3)), "3be1d0b522b9de9a6a282056797701ce");
    }
}
