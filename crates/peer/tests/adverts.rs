//! The advert format: round trips and every refusal.

mod common;

use std::process::Command;

use base64::Engine as _;
use common::{NOW, body, endpoint, key, message, server_message, tampered};
use cordvault_peer::advert::{MAX_AGE_SECS, MAX_FUTURE_SECS, MAX_MESSAGE_BYTES, PREFIX, SIGNATURE_NAMESPACE};
use cordvault_peer::{Advert, AdvertError};
use cordvault_sftp::{HostKey, PublicKey};
use russh::keys::ssh_key::HashAlg;
use russh::keys::ssh_key::encoding::Encode as _;
use serde_json::{Value, json};

#[test]
fn server_advert_round_trips() {
    let (host, client) = (key(1), key(2));
    let advert =
        Advert::new("alice@laptop", Some(endpoint("192.0.2.7", 2200)), host.public_key(), client.public_key(), NOW)
            .unwrap();
    let text = advert.to_message(&host).unwrap();
    assert!(text.starts_with(PREFIX), "{text}");
    assert!(text.len() <= MAX_MESSAGE_BYTES);
    let parsed = Advert::parse_verified(&text, NOW + 10).unwrap();
    assert_eq!(parsed, advert);
    assert_eq!(parsed.instance(), "alice@laptop");
    assert_eq!(parsed.endpoint(), Some(&endpoint("192.0.2.7", 2200)));
    assert!(parsed.is_server());
    assert_eq!(parsed.fingerprint(), host.fingerprint(HashAlg::Sha256).to_string());
    assert_eq!(parsed.host_key().key_data(), host.public_key().key_data());
    assert_eq!(parsed.client_key().key_data(), client.public_key().key_data());
    assert_eq!(parsed.timestamp(), NOW);
    assert_eq!(parsed.age(NOW + 10), 10);
    assert!(parsed.host_key_openssh().starts_with("ssh-ed25519 AAAA"));
    assert!(parsed.client_key_openssh().starts_with("ssh-ed25519 AAAA"));

    // IPv6 and DNS names too.
    for address in ["2001:db8::7", "peer.example.org"] {
        let advert =
            Advert::new("alice", Some(endpoint(address, 22)), host.public_key(), client.public_key(), NOW).unwrap();
        let parsed = Advert::parse_verified(&advert.to_message(&host).unwrap(), NOW).unwrap();
        assert_eq!(parsed.endpoint().unwrap().address, address);
    }
}

#[test]
fn client_only_advert_round_trips_without_address() {
    let (identity, client) = (key(3), key(4));
    let advert = Advert::new("bob", None, identity.public_key(), client.public_key(), NOW).unwrap();
    let text = advert.to_message(&identity).unwrap();
    let members = body(&text);
    assert_eq!(members["server"], json!(false));
    assert_eq!(members["address"], Value::Null);
    assert_eq!(members["port"], Value::Null);
    let parsed = Advert::parse_verified(&text, NOW).unwrap();
    assert!(!parsed.is_server());
    assert_eq!(parsed.endpoint(), None);
    assert_eq!(parsed, advert);

    // Absent instead of null reads the same (the signature is over null).
    let mut members = members;
    let object = members.as_object_mut().unwrap();
    object.remove("address");
    object.remove("port");
    assert_eq!(Advert::parse_verified(&message(&members), NOW).unwrap(), advert);
}

/// The host key the SFTP server uses signs adverts.
#[test]
fn host_key_from_the_sftp_crate_signs_adverts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("host_ed25519");
    let host = HostKey::load_or_create(&path).unwrap();
    let client = key(9);
    let advert =
        Advert::new("carol", Some(endpoint("10.0.0.2", 2200)), host.public_key(), client.public_key(), NOW).unwrap();
    let parsed = Advert::parse_verified(&advert.to_message(host.private_key()).unwrap(), NOW).unwrap();
    assert_eq!(parsed.fingerprint(), host.fingerprint());
    assert_eq!(parsed.host_key_openssh(), host.public_key_openssh());
}

#[test]
fn advert_holds_only_the_documented_members_and_no_secret() {
    let (host, client) = (key(1), key(2));
    let text = server_message("alice", &host, &client, NOW);
    let members = body(&text);
    let mut names: Vec<&str> = members.as_object().unwrap().keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["address", "client_key", "fingerprint", "host_key", "instance", "port", "server", "sig", "timestamp", "v"]
    );
    let lower = text.to_lowercase();
    for secret in ["password", "private", "secret", "token"] {
        assert!(!lower.contains(secret), "{secret} in {text}");
    }
    // Neither private key's bytes appear, in any common encoding.
    for private in [&host, &client] {
        let seed = private.key_data().ed25519().unwrap().private.to_bytes();
        for encoded in [
            base64::engine::general_purpose::STANDARD.encode(seed),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(seed),
            seed.iter().map(|byte| format!("{byte:02x}")).collect(),
        ] {
            assert!(!text.contains(&encoded));
        }
    }
    // The member order of the message is the canonical order, then `sig`.
    let order: Vec<usize> = ["\"v\"", "\"instance\"", "\"address\"", "\"port\"", "\"host_key\"", "\"fingerprint\""]
        .iter()
        .chain(&["\"client_key\"", "\"timestamp\"", "\"server\"", "\"sig\""])
        .map(|name| text.find(name).unwrap())
        .collect();
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
}

#[test]
fn refuses_a_message_without_the_prefix() {
    let text = server_message("alice", &key(1), &key(2), NOW);
    let body = text.strip_prefix(PREFIX).unwrap();
    for content in [
        body.to_owned(),
        String::new(),
        "hello everyone".to_owned(),
        format!("discordsftp-hello {body}"),
        format!(" {text}"),
        format!("cordvault-peer/1{body}"),
        format!("CORDVAULT-PEER/1 {body}"),
    ] {
        assert_eq!(Advert::parse_verified(&content, NOW), Err(AdvertError::MissingPrefix), "{content}");
    }
}

#[test]
fn refuses_oversized_messages_before_parsing() {
    // 100 KB: refused by its length, not by its (broken) JSON.
    let huge = format!("{PREFIX}{{\"v\":1,\"pad\":\"{}", "x".repeat(100 * 1024));
    assert!(matches!(Advert::parse_verified(&huge, NOW), Err(AdvertError::TooLong { .. })));

    // A valid advert padded with whitespace to one byte over the limit.
    let text = server_message("alice", &key(1), &key(2), NOW);
    let padded = format!("{text}{}", " ".repeat(MAX_MESSAGE_BYTES + 1 - text.len()));
    assert_eq!(
        Advert::parse_verified(&padded, NOW),
        Err(AdvertError::TooLong { len: MAX_MESSAGE_BYTES + 1, max: MAX_MESSAGE_BYTES })
    );
    let at_limit = &padded[..MAX_MESSAGE_BYTES];
    assert!(Advert::parse_verified(at_limit, NOW).is_ok());
}

#[test]
fn refuses_broken_json() {
    let text = server_message("alice", &key(1), &key(2), NOW);
    for content in [
        PREFIX.to_owned(),
        format!("{PREFIX}{{"),
        format!("{PREFIX}not json"),
        format!("{PREFIX}[1,2,3]"),
        format!("{PREFIX}\"v\""),
        text[..text.len() - 1].to_owned(),
        format!("{text}{{}}"),
        format!("{PREFIX}{}", "[".repeat(1000)),
        format!("{PREFIX}{{\"v\":\"1\"}}"),
        format!("{PREFIX}{{\"v\":1}}"),
    ] {
        assert!(
            matches!(Advert::parse_verified(&content, NOW), Err(AdvertError::Malformed(_))),
            "{content}: {:?}",
            Advert::parse_verified(&content, NOW)
        );
    }
    // A member of the wrong type, or a duplicate member.
    for (member, value) in [("port", json!("2200")), ("timestamp", json!(-1)), ("server", json!("yes"))] {
        let content = tampered(&text, member, value);
        assert!(matches!(Advert::parse_verified(&content, NOW), Err(AdvertError::Malformed(_))), "{content}");
    }
    let duplicated = text.replacen("{\"v\":1,", "{\"v\":1,\"instance\":\"mallory\",", 1);
    assert!(matches!(Advert::parse_verified(&duplicated, NOW), Err(AdvertError::Malformed(_))), "{duplicated}");
}

#[test]
fn refuses_unknown_versions() {
    let text = server_message("alice", &key(1), &key(2), NOW);
    let body = text.strip_prefix(PREFIX).unwrap();
    assert_eq!(
        Advert::parse_verified(&format!("cordvault-peer/2 {body}"), NOW),
        Err(AdvertError::UnknownVersion("2".into()))
    );
    assert_eq!(
        Advert::parse_verified(&tampered(&text, "v", json!(2)), NOW),
        Err(AdvertError::UnknownVersion("2".into()))
    );
    assert_eq!(
        Advert::parse_verified(&tampered(&text, "v", json!(0)), NOW),
        Err(AdvertError::UnknownVersion("0".into()))
    );
}

#[test]
fn refuses_unknown_members() {
    let text = server_message("alice", &key(1), &key(2), NOW);
    let content = tampered(&text, "password", json!("hunter2"));
    assert!(matches!(Advert::parse_verified(&content, NOW), Err(AdvertError::Malformed(_))), "{content}");
}

#[test]
fn refuses_a_fingerprint_that_is_not_the_host_keys() {
    let (host, client, other) = (key(1), key(2), key(3));
    let text = server_message("alice", &host, &client, NOW);
    let wrong = other.fingerprint(HashAlg::Sha256).to_string();
    assert!(matches!(
        Advert::parse_verified(&tampered(&text, "fingerprint", json!(wrong)), NOW),
        Err(AdvertError::FingerprintMismatch { .. })
    ));
    // The same key's SHA-512 fingerprint is not the documented form either.
    let sha512 = host.fingerprint(HashAlg::Sha512).to_string();
    assert!(matches!(
        Advert::parse_verified(&tampered(&text, "fingerprint", json!(sha512)), NOW),
        Err(AdvertError::FingerprintMismatch { .. })
    ));
}

#[test]
fn refuses_any_tampered_member() {
    let (host, client, other) = (key(1), key(2), key(3));
    let text = server_message("alice", &host, &client, NOW);
    let other_client = Advert::new("x", None, other.public_key(), other.public_key(), NOW).unwrap();
    for (member, value) in [
        ("instance", json!("mallory")),
        ("address", json!("203.0.113.66")),
        ("port", json!(2201)),
        ("client_key", json!(other_client.client_key_openssh())),
        ("timestamp", json!(NOW + 1)),
    ] {
        let content = tampered(&text, member, value);
        assert_eq!(Advert::parse_verified(&content, NOW), Err(AdvertError::BadSignature), "{member}");
    }
    // Turning a server advert into a client-only one.
    let mut members = body(&text);
    members["server"] = json!(false);
    members["address"] = Value::Null;
    members["port"] = Value::Null;
    assert_eq!(Advert::parse_verified(&message(&members), NOW), Err(AdvertError::BadSignature));
}

#[test]
fn refuses_a_signature_by_another_key() {
    let (host, client, mallory) = (key(1), key(2), key(66));
    let text = server_message("alice", &host, &client, NOW);
    // Mallory claims her host key but keeps Alice's signature.
    let theirs = Advert::new("alice", None, mallory.public_key(), client.public_key(), NOW).unwrap();
    let mut members = body(&text);
    members["host_key"] = json!(theirs.host_key_openssh());
    members["fingerprint"] = json!(theirs.fingerprint());
    assert_eq!(Advert::parse_verified(&message(&members), NOW), Err(AdvertError::BadSignature));

    // Mallory's signature over Alice's advert, with Alice's host key.
    let mallory_signed = server_message("alice", &mallory, &client, NOW);
    let mut members = body(&text);
    members["sig"] = body(&mallory_signed)["sig"].clone();
    assert_eq!(Advert::parse_verified(&message(&members), NOW), Err(AdvertError::BadSignature));
}

#[test]
fn refuses_a_signature_in_another_namespace() {
    let (host, client) = (key(1), key(2));
    let advert =
        Advert::new("alice", Some(endpoint("192.0.2.7", 2200)), host.public_key(), client.public_key(), NOW).unwrap();
    let text = advert.to_message(&host).unwrap();
    let foreign = host.sign("file", HashAlg::Sha512, &advert.signed_payload()).unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(foreign.encode_vec().unwrap());
    assert_eq!(Advert::parse_verified(&tampered(&text, "sig", json!(sig)), NOW), Err(AdvertError::BadSignature));
    // The right namespace, SHA-256: fine (any SSHSIG hash is accepted).
    let sha256 = host.sign(SIGNATURE_NAMESPACE, HashAlg::Sha256, &advert.signed_payload()).unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(sha256.encode_vec().unwrap());
    assert!(Advert::parse_verified(&tampered(&text, "sig", json!(sig)), NOW).is_ok());
}

#[test]
fn refuses_missing_or_garbled_signatures() {
    let text = server_message("alice", &key(1), &key(2), NOW);
    let sig = body(&text)["sig"].as_str().unwrap().to_owned();
    let blob = base64::engine::general_purpose::STANDARD.decode(&sig).unwrap();
    let mut flipped = blob.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let mut trailing = blob.clone();
    trailing.push(0);
    for bad in [
        String::new(),
        "not base64!".to_owned(),
        sig[..sig.len() / 2].to_owned(),
        base64::engine::general_purpose::STANDARD.encode(&flipped),
        base64::engine::general_purpose::STANDARD.encode(&trailing),
        base64::engine::general_purpose::STANDARD.encode(b"SSHSIG"),
    ] {
        assert_eq!(Advert::parse_verified(&tampered(&text, "sig", json!(bad)), NOW), Err(AdvertError::BadSignature));
    }
    let mut members = body(&text);
    members.as_object_mut().unwrap().remove("sig");
    assert!(matches!(Advert::parse_verified(&message(&members), NOW), Err(AdvertError::Malformed(_))));
}

#[test]
fn refuses_stale_and_future_adverts() {
    let text = server_message("alice", &key(1), &key(2), NOW);
    assert!(Advert::parse_verified(&text, NOW + MAX_AGE_SECS).is_ok());
    assert_eq!(Advert::parse_verified(&text, NOW + MAX_AGE_SECS + 1), Err(AdvertError::Stale { age: 181 }));
    assert!(Advert::parse_verified(&text, NOW - MAX_FUTURE_SECS).is_ok());
    assert_eq!(Advert::parse_verified(&text, NOW - MAX_FUTURE_SECS - 1), Err(AdvertError::Future { ahead: 61 }));
    assert!(Advert::parse_verified(&text, 0).is_err());
}

#[test]
fn instance_names_are_limited() {
    let (host, client) = (key(1), key(2));
    let make = |name: &str| Advert::new(name, None, host.public_key(), client.public_key(), NOW);
    for good in ["a", "alice@laptop", "Bob.Smith_2-x", &"x".repeat(64)] {
        assert!(make(good).is_ok(), "{good}");
    }
    for bad in ["", &"x".repeat(65), "two words", "a/b", "ünïcode", "tab\t", "quote\"", "back\\slash", "new\nline"] {
        assert!(matches!(make(bad), Err(AdvertError::InvalidInstance(_))), "{bad:?}");
    }
    // And on reading, even when validly signed (the signer here is honest
    // about its key but not about the rules): refused before the signature.
    let text = server_message("alice", &host, &client, NOW);
    for bad in ["", "two words", "../etc", &"x".repeat(65)] {
        let content = tampered(&text, "instance", json!(bad));
        assert!(matches!(Advert::parse_verified(&content, NOW), Err(AdvertError::InvalidInstance(_))), "{bad:?}");
    }
}

#[test]
fn addresses_and_ports_are_checked() {
    let (host, client) = (key(1), key(2));
    let make = |address: &str, port: u16| {
        Advert::new("a", Some(endpoint(address, port)), host.public_key(), client.public_key(), NOW)
    };
    for bad in ["", "0.0.0.0", "::", "224.0.0.1", "[::1]", "a b", "host:22", "-bad.example", "1.2.3", "x\"y"] {
        assert!(matches!(make(bad, 22), Err(AdvertError::InvalidAddress(_))), "{bad:?}");
    }
    assert_eq!(make("127.0.0.1", 0), Err(AdvertError::InvalidPort));
    assert!(make("127.0.0.1", 65535).is_ok());

    let text = server_message("alice", &host, &client, NOW);
    let cases = [
        ("server", json!(false), AdvertError::InconsistentEndpoint { server: false }),
        ("address", Value::Null, AdvertError::InconsistentEndpoint { server: true }),
        ("port", Value::Null, AdvertError::InconsistentEndpoint { server: true }),
        ("port", json!(0), AdvertError::InvalidPort),
        ("address", json!("0.0.0.0"), AdvertError::InvalidAddress("0.0.0.0".into())),
    ];
    for (member, value, expected) in cases {
        assert_eq!(Advert::parse_verified(&tampered(&text, member, value), NOW), Err(expected), "{member}");
    }
}

#[test]
fn keys_must_be_canonical_and_the_host_key_ed25519() {
    let (host, client) = (key(1), key(2));
    let text = server_message("alice", &host, &client, NOW);
    let members = body(&text);
    let host_line = members["host_key"].as_str().unwrap().to_owned();
    for bad in [
        format!("{host_line} alice@laptop"),
        format!("{host_line} "),
        host_line.replacen(' ', "  ", 1),
        "ssh-ed25519".to_owned(),
        "ssh-ed25519 AAAA".to_owned(),
        String::new(),
    ] {
        let content = tampered(&text, "host_key", json!(bad));
        assert!(
            matches!(Advert::parse_verified(&content, NOW), Err(AdvertError::InvalidKey { field: "host_key", .. })),
            "{bad:?}: {:?}",
            Advert::parse_verified(&content, NOW)
        );
    }
    let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEHiSdW53Swpp9m7ylPpu7PB8c3GoouIsFjsldj0L315VVhA0uBsGqnoeJ4hlnT3yr9IonFKcUuTbC7FeMT46AU=";
    let ecdsa = PublicKey::from_openssh(ecdsa).unwrap();
    assert!(matches!(
        Advert::new("a", None, &ecdsa, client.public_key(), NOW),
        Err(AdvertError::InvalidKey { field: "host_key", .. })
    ));
    // An ECDSA client key is fine.
    let advert = Advert::new("a", None, host.public_key(), &ecdsa, NOW).unwrap();
    assert_eq!(Advert::parse_verified(&advert.to_message(&host).unwrap(), NOW).unwrap(), advert);
    // A key's comment is dropped, never signed.
    let mut commented = client.public_key().clone();
    commented.set_comment("bob@desk");
    let advert = Advert::new("a", None, host.public_key(), &commented, NOW).unwrap();
    assert!(!advert.to_message(&host).unwrap().contains("bob@desk"));
}

#[test]
fn only_the_host_key_signs() {
    let (host, client) = (key(1), key(2));
    let advert = Advert::new("alice", None, host.public_key(), client.public_key(), NOW).unwrap();
    assert_eq!(advert.to_message(&client), Err(AdvertError::WrongSigningKey));
}

/// The documented claim: `sig` is an OpenSSH SSHSIG over the canonical
/// payload, so `ssh-keygen -Y verify` accepts it (openssh-client, which
/// `.ci/install` installs).
#[test]
fn ssh_keygen_verifies_the_signature() {
    assert!(Command::new("ssh-keygen").arg("-?").output().is_ok(), "ssh-keygen is not installed: run .ci/install");
    let (host, client) = (key(1), key(2));
    let advert =
        Advert::new("alice", Some(endpoint("192.0.2.7", 2200)), host.public_key(), client.public_key(), NOW).unwrap();
    let text = advert.to_message(&host).unwrap();
    let sig = body(&text)["sig"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let armored = sig.as_bytes().chunks(70).map(|line| std::str::from_utf8(line).unwrap()).collect::<Vec<_>>();
    let armored = format!("-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n", armored.join("\n"));
    std::fs::write(dir.path().join("sig"), armored).unwrap();
    std::fs::write(dir.path().join("payload"), advert.signed_payload()).unwrap();
    std::fs::write(
        dir.path().join("allowed"),
        format!("alice namespaces=\"{SIGNATURE_NAMESPACE}\" {}\n", advert.host_key_openssh()),
    )
    .unwrap();
    let verify = |namespace: &str| {
        Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f", "allowed", "-I", "alice", "-n", namespace, "-s", "sig"])
            .current_dir(dir.path())
            .stdin(std::fs::File::open(dir.path().join("payload")).unwrap())
            .output()
            .unwrap()
    };
    let output = verify(SIGNATURE_NAMESPACE);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!verify("file").status.success());
}
