//! Download tickets: short-lived, single-purpose capabilities for the plain
//! HTTP routes, so that a browser never puts a login token in a URL (where
//! history, proxies and access logs keep it).
//!
//! `t1.<user id>.<token version>.<expiry, Unix ms>.<hex HMAC-SHA256>`. The
//! HMAC also covers the ticket's purpose (download or zip of one path, or
//! thumbnails), which the URL itself carries, so a ticket for one file opens
//! nothing else.

use ring::{hkdf, hmac};

use crate::{Error, Result};

/// What a ticket opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketPurpose<'a> {
    /// `/download` of this (normalised) path.
    Download(&'a str),
    /// `/bulk-download` of this (normalised) path.
    Zip(&'a str),
    /// `/thumbnail/{id}` of any entry the holder may read.
    Thumbnails,
    /// `/process/{id}/data`: the sealed result of this data package, for
    /// whoever holds the URL (the result opens only with its owner's key).
    PackageResult(&'a str),
}

impl TicketPurpose<'_> {
    fn bind(&self) -> String {
        match self {
            TicketPurpose::Download(path) => format!("download\n{path}"),
            TicketPurpose::Zip(path) => format!("zip\n{path}"),
            TicketPurpose::Thumbnails => "thumbnails\n".to_owned(),
            TicketPurpose::PackageResult(package_id) => format!("package\n{package_id}"),
        }
    }
}

/// Who a valid ticket speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketHolder {
    pub user_id: i64,
    /// The user's token version when the ticket was issued: a password
    /// change ends the ticket as it ends the login token.
    pub token_version: i64,
}

#[derive(Clone)]
pub struct TicketKey(hmac::Key);

/// What the HMAC covers: the ticket's fields and its purpose.
fn signed_message(payload: &str, purpose: &TicketPurpose<'_>) -> Vec<u8> {
    [payload.as_bytes(), b"\n", purpose.bind().as_bytes()].concat()
}

impl TicketKey {
    /// A key of its own, derived from a server secret so that every manager
    /// of one installation accepts the tickets of the others.
    pub fn derive(secret: &[u8]) -> Self {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"cordvault download tickets").extract(secret);
        let okm =
            prk.expand(&[b"ticket-v1"], hmac::HMAC_SHA256).expect("an HMAC-SHA256 key is a valid HKDF output length");
        TicketKey(hmac::Key::from(okm))
    }

    pub fn sign(&self, holder: TicketHolder, purpose: TicketPurpose<'_>, expires_at_ms: i64) -> String {
        let payload = format!("t1.{}.{}.{expires_at_ms}", holder.user_id, holder.token_version);
        let tag = hmac::sign(&self.0, &signed_message(&payload, &purpose));
        format!("{payload}.{}", hex::encode(tag.as_ref()))
    }

    /// Checks a ticket for `purpose` at time `now_ms`.
    pub fn verify(&self, ticket: &str, purpose: TicketPurpose<'_>, now_ms: i64) -> Result<TicketHolder> {
        let invalid = || Error::unauthenticated("the download ticket is not valid for this request");
        let (payload, given) = ticket.rsplit_once('.').ok_or_else(invalid)?;
        // Lower case only, as `sign` writes it, so one ticket has one spelling.
        if given.len() != 64 || !given.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(invalid());
        }
        let given = hex::decode(given).map_err(|_| invalid())?;
        hmac::verify(&self.0, &signed_message(payload, &purpose), &given).map_err(|_| invalid())?;
        let fields: Vec<&str> = payload.strip_prefix("t1.").ok_or_else(invalid)?.split('.').collect();
        let [user_id, token_version, expiry] = fields[..] else {
            return Err(invalid());
        };
        let number = |field: &str| canonical_i64(field).ok_or_else(invalid);
        let (user_id, token_version, expiry) = (number(user_id)?, number(token_version)?, number(expiry)?);
        if expiry < now_ms {
            return Err(Error::unauthenticated("the download ticket has expired; ask for a new one"));
        }
        Ok(TicketHolder { user_id, token_version })
    }
}

/// An integer as `format!` writes it: no sign, no leading zeros, nothing else.
fn canonical_i64(field: &str) -> Option<i64> {
    let value: i64 = field.parse().ok()?;
    (value.to_string() == field).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: TicketHolder = TicketHolder { user_id: 7, token_version: 2 };

    #[test]
    fn a_ticket_opens_its_purpose_until_it_expires() {
        let key = TicketKey::derive(b"secret");
        let ticket = key.sign(ALICE, TicketPurpose::Download("/a/b.txt"), 1_000);
        assert_eq!(key.verify(&ticket, TicketPurpose::Download("/a/b.txt"), 999).unwrap(), ALICE);
        assert!(key.verify(&ticket, TicketPurpose::Download("/a/b.txt"), 1_001).is_err());
        assert!(key.verify(&ticket, TicketPurpose::Download("/a/c.txt"), 999).is_err());
        assert!(key.verify(&ticket, TicketPurpose::Zip("/a/b.txt"), 999).is_err());
        assert!(key.verify(&ticket, TicketPurpose::Thumbnails, 999).is_err());
        assert!(TicketKey::derive(b"other").verify(&ticket, TicketPurpose::Download("/a/b.txt"), 999).is_err());
    }

    #[test]
    fn a_changed_field_or_spelling_is_refused() {
        let key = TicketKey::derive(b"secret");
        let ticket = key.sign(ALICE, TicketPurpose::Thumbnails, 1_000);
        for forged in [
            ticket.replace("t1.7.", "t1.8."),
            ticket.replace(".2.", ".3."),
            ticket.replace("1000", "9999"),
            ticket.replace("t1.7.", "t1.07."),
            ticket.to_ascii_uppercase().replace("T1", "t1"),
            format!("{ticket}0"),
            ticket[..ticket.len() - 1].to_owned(),
            String::new(),
        ] {
            assert!(key.verify(&forged, TicketPurpose::Thumbnails, 999).is_err(), "{forged}");
        }
    }

    /// The newline between the fields and the path keeps a path from
    /// posing as part of the purpose, and the other way round.
    #[test]
    fn purposes_do_not_collide() {
        let key = TicketKey::derive(b"secret");
        let ticket = key.sign(ALICE, TicketPurpose::Download("\nzip"), 1_000);
        assert!(key.verify(&ticket, TicketPurpose::Zip(""), 999).is_err());
    }
}
