//! Login tokens: JWTs signed with the server's key pair (EdDSA or RS256).

use std::time::Duration;

use cordvault_core::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user id.
    sub: String,
    /// The user's token version when the token was issued.
    ver: i64,
    iat: u64,
    exp: u64,
}

/// What a valid token says.
#[derive(Debug, Clone, Copy)]
pub struct TokenClaims {
    pub user_id: i64,
    pub token_version: i64,
}

pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    algorithm: Algorithm,
    ttl: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("the JWT key pair is unusable: {0}")]
pub struct KeyError(String);

impl TokenIssuer {
    /// From PEM text: Ed25519 keys sign with EdDSA, RSA keys with RS256.
    pub fn from_pem(private_pem: &str, public_pem: &str, ttl: Duration) -> Result<Self, KeyError> {
        let bad = |err: jsonwebtoken::errors::Error| KeyError(err.to_string());
        let (encoding, decoding, algorithm) = if let Ok(encoding) = EncodingKey::from_ed_pem(private_pem.as_bytes()) {
            (encoding, DecodingKey::from_ed_pem(public_pem.as_bytes()).map_err(bad)?, Algorithm::EdDSA)
        } else {
            let encoding = EncodingKey::from_rsa_pem(private_pem.as_bytes()).map_err(bad)?;
            (encoding, DecodingKey::from_rsa_pem(public_pem.as_bytes()).map_err(bad)?, Algorithm::RS256)
        };
        let issuer = TokenIssuer { encoding, decoding, algorithm, ttl };
        // A mismatched pair would only show at the first login; catch it now.
        let (probe, _) = issuer.issue(0, 0).map_err(|err| KeyError(err.message))?;
        issuer.verify(&probe).map_err(|_| KeyError("PRIVATE_KEY and PUBLIC_KEY are not one pair".into()))?;
        Ok(issuer)
    }

    /// Issues a token; returns it with its expiry in Unix milliseconds.
    pub fn issue(&self, user_id: i64, token_version: i64) -> Result<(String, i64)> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
        let exp = now + self.ttl.as_secs();
        let claims = Claims { sub: user_id.to_string(), ver: token_version, iat: now, exp };
        let token = encode(&Header::new(self.algorithm), &claims, &self.encoding)
            .map_err(|err| Error::internal(format!("signing a token failed: {err}")))?;
        Ok((token, exp as i64 * 1000))
    }

    pub fn verify(&self, token: &str) -> Result<TokenClaims> {
        let mut validation = Validation::new(self.algorithm);
        validation.leeway = 5;
        let data = decode::<Claims>(token, &self.decoding, &validation).map_err(|err| {
            let reason = match err.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the token has expired; log in again",
                _ => "the token is not valid",
            };
            Error::unauthenticated(reason)
        })?;
        let user_id = data.claims.sub.parse().map_err(|_| Error::unauthenticated("the token is not valid"))?;
        Ok(TokenClaims { user_id, token_version: data.claims.ver })
    }
}
