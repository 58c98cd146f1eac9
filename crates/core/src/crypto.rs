//! Keys: the master key that wraps per-file data keys, and random bytes.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::{Error, Result};

pub const KEY_LEN: usize = 32;
const WRAP_AAD: &[u8] = b"cordvault-data-key-v1";

/// Fills a buffer with bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    SystemRandom::new().fill(&mut bytes).expect("the operating system's random generator failed");
    bytes
}

/// A random lower-case hex string of `N` bytes of entropy.
pub fn random_hex<const N: usize>() -> String {
    hex::encode(random_bytes::<N>())
}

/// Whether two byte strings are equal, in time that depends on their
/// lengths only: for digests of secrets, so that how much of a guess was
/// right does not show.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// A 256-bit AES-GCM key.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

impl SecretKey {
    pub fn generate() -> Self {
        SecretKey(random_bytes())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| Error::invalid_argument(format!("a key is {KEY_LEN} bytes, not {}", bytes.len())))?;
        Ok(SecretKey(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    pub(crate) fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("key length is fixed"))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// The server's master key (`MESSAGE_ENCRYPTION_KEY`): it only wraps data keys.
#[derive(Clone, Debug)]
pub struct MasterKey(SecretKey);

impl MasterKey {
    pub fn new(key: SecretKey) -> Self {
        MasterKey(key)
    }

    /// Seals a data key: nonce || ciphertext || tag.
    pub fn wrap(&self, data_key: &SecretKey) -> Vec<u8> {
        let nonce = random_bytes::<NONCE_LEN>();
        let mut sealed = data_key.as_bytes().to_vec();
        self.0
            .aead()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(WRAP_AAD), &mut sealed)
            .expect("sealing 32 bytes cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    pub fn unwrap(&self, wrapped: &[u8]) -> Result<SecretKey> {
        if wrapped.len() != NONCE_LEN + KEY_LEN + AES_256_GCM.tag_len() {
            return Err(Error::data_loss("a wrapped data key has the wrong length"));
        }
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).expect("length checked");
        let mut sealed = sealed.to_vec();
        let key = self.0.aead().open_in_place(nonce, Aad::from(WRAP_AAD), &mut sealed).map_err(|_| {
            Error::data_loss("a data key does not open with this master key (wrong MESSAGE_ENCRYPTION_KEY?)")
        })?;
        SecretKey::from_bytes(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_unwraps_data_keys() {
        let master = MasterKey::new(SecretKey::generate());
        let data_key = SecretKey::generate();
        let wrapped = master.wrap(&data_key);
        assert_eq!(master.unwrap(&wrapped).unwrap().as_bytes(), data_key.as_bytes());
        assert_ne!(master.wrap(&data_key), wrapped, "every wrap takes a fresh nonce");

        let other = MasterKey::new(SecretKey::generate());
        assert_eq!(other.unwrap(&wrapped).unwrap_err().code, crate::ErrorCode::DataLoss);
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"digest", b"digest"));
        assert!(!constant_time_eq(b"digest", b"digesT"));
        assert!(!constant_time_eq(b"digest", b"diges"));
        assert!(constant_time_eq(b"", b""));
    }
}
