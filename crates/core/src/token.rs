//! Upload tokens: a capability naming one upload and an expiry, signed by the
//! manager and checked by an upload worker without a database.
//!
//! `v1.<upload id>.<expiry, Unix ms>.<hex HMAC-SHA256>`

use ring::hmac;

use crate::{Error, Result};

/// The token of an `Authorization` header value `Bearer <token>` (the scheme
/// is case-insensitive, RFC 9110 §11.1): the one parser for the manager's
/// RPCs and HTTP routes and the upload workers.
pub fn bearer(value: &str) -> Result<&str> {
    let malformed = || Error::unauthenticated("authorization must be \"Bearer <token>\"");
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(malformed());
    }
    Ok(token.trim())
}

/// The bearer token of a gRPC call's `authorization` metadata; `what` names
/// the token the caller should have sent.
#[cfg(feature = "grpc")]
pub fn request_bearer<T>(request: &tonic::Request<T>, what: &str) -> Result<String> {
    let Some(value) = request.metadata().get("authorization") else {
        return Err(Error::unauthenticated(format!("missing authorization: Bearer <{what}>")));
    };
    let value = value.to_str().map_err(|_| Error::unauthenticated("authorization metadata is not valid text"))?;
    bearer(value).map(str::to_owned)
}

/// The key both sides hold; the manager derives it from its secrets.
#[derive(Clone)]
pub struct UploadTokenKey(hmac::Key);

impl UploadTokenKey {
    pub fn new(secret: &[u8]) -> Self {
        UploadTokenKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// Derives the key from the service password, so that it survives restarts.
    pub fn derive(service_password: &str) -> (Self, Vec<u8>) {
        let secret =
            hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, b"cordvault upload token v1"), service_password.as_bytes());
        (UploadTokenKey::new(secret.as_ref()), secret.as_ref().to_vec())
    }

    pub fn sign(&self, upload_id: &str, expires_at_ms: i64) -> String {
        let payload = format!("v1.{upload_id}.{expires_at_ms}");
        let tag = hmac::sign(&self.0, payload.as_bytes());
        format!("{payload}.{}", hex::encode(tag.as_ref()))
    }

    /// Checks a token for `upload_id` at time `now_ms`.
    pub fn verify(&self, token: &str, upload_id: &str, now_ms: i64) -> Result<()> {
        let invalid = || Error::unauthenticated("the upload token is not valid for this upload");
        let (payload, tag) = token.rsplit_once('.').ok_or_else(invalid)?;
        // Lower case only, as `sign` writes it: hex::decode also takes upper
        // case, which would give one token many spellings.
        if !tag.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(invalid());
        }
        let tag = hex::decode(tag).map_err(|_| invalid())?;
        hmac::verify(&self.0, payload.as_bytes(), &tag).map_err(|_| invalid())?;
        // The expiry holds no dot, the upload id may: split at the last one.
        let (id, expiry) = payload.strip_prefix("v1.").and_then(|rest| rest.rsplit_once('.')).ok_or_else(invalid)?;
        if id != upload_id {
            return Err(invalid());
        }
        let expiry: i64 = expiry.parse().map_err(|_| invalid())?;
        if expiry < now_ms {
            return Err(Error::unauthenticated("the upload token has expired; start the upload again"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_takes_the_scheme_in_any_case() {
        assert_eq!(bearer("Bearer abc").unwrap(), "abc");
        assert_eq!(bearer("bearer  abc ").unwrap(), "abc");
        assert_eq!(bearer("BEARER abc").unwrap(), "abc");
        for bad in ["abc", "Basic abc", "Bearer", "Bearer  ", "Bearerabc"] {
            assert_eq!(bearer(bad).unwrap_err().code, crate::ErrorCode::Unauthenticated, "{bad}");
        }
    }

    #[test]
    fn tokens_name_one_upload_and_expire() {
        let (key, _) = UploadTokenKey::derive("service password");
        let token = key.sign("abc", 1_000);
        assert!(key.verify(&token, "abc", 999).is_ok());
        assert!(key.verify(&token, "abd", 999).is_err());
        assert!(key.verify(&token, "abc", 1_001).is_err());
        let forged = token.replace("1000", "9999");
        assert!(key.verify(&forged, "abc", 999).is_err());
        let (other, _) = UploadTokenKey::derive("another password");
        assert!(other.verify(&token, "abc", 999).is_err());
    }

    /// Found by the token fuzz target: `sign` takes any upload id, but
    /// `verify` split the payload at the first dots, so a token for an id
    /// holding a dot never verified.
    #[test]
    fn ids_with_dots_verify() {
        let key = UploadTokenKey::new(b"key");
        for id in [".", "a.b", "v1.abc.1000", "abc."] {
            let token = key.sign(id, 1_000);
            assert!(key.verify(&token, id, 999).is_ok(), "{id:?}");
            assert!(key.verify(&token, id, 1_001).is_err(), "{id:?}");
            assert!(key.verify(&token, "abc", 999).is_err(), "{id:?}");
        }
        assert!(key.verify(&key.sign("abc", 1_000), "abc.1000", 999).is_err());
    }

    /// Found by the token fuzz target: the tag was read with `hex::decode`,
    /// which takes upper case too, so one token had many spellings that all
    /// verified.
    #[test]
    fn tokens_have_one_spelling() {
        let key = UploadTokenKey::new(b"key");
        let token = key.sign("abc", 1_000);
        let (payload, tag) = token.rsplit_once('.').unwrap();
        assert!(tag.bytes().any(|byte| byte.is_ascii_lowercase()), "{tag}");
        let upper = format!("{payload}.{}", tag.to_ascii_uppercase());
        assert!(key.verify(&upper, "abc", 999).is_err());
    }
}
