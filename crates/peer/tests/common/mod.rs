//! Keys, adverts and tampering helpers shared by the peer tests.

#![allow(dead_code)]

use cordvault_peer::advert::PREFIX;
use cordvault_peer::{Advert, Endpoint};
use cordvault_sftp::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;
use serde_json::Value;

/// A fixed "now" for the tests, Unix seconds.
pub const NOW: u64 = 1_790_000_000;

/// A deterministic Ed25519 key per seed.
pub fn key(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

pub fn endpoint(address: &str, port: u16) -> Endpoint {
    Endpoint { address: address.to_owned(), port }
}

/// A signed server advert for `instance`, host key `host`, client key `client`.
pub fn server_message(instance: &str, host: &PrivateKey, client: &PrivateKey, timestamp: u64) -> String {
    Advert::new(instance, Some(endpoint("192.0.2.7", 2200)), host.public_key(), client.public_key(), timestamp)
        .expect("valid advert")
        .to_message(host)
        .expect("signed")
}

/// The JSON body of an advert message.
pub fn body(message: &str) -> Value {
    serde_json::from_str(message.strip_prefix(PREFIX).expect("prefix")).expect("json")
}

/// An advert message from a JSON body (any member order).
pub fn message(body: &Value) -> String {
    format!("{PREFIX}{body}")
}

/// `message` with one member replaced.
pub fn tampered(message_text: &str, member: &str, value: Value) -> String {
    let mut body = body(message_text);
    body[member] = value;
    message(&body)
}
