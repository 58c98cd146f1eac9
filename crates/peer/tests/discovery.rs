//! Discovery: trust on first use, spoofing, garbage, staleness, the pin file.

mod common;

use common::{NOW, body, key, message, server_message, tampered};
use cordvault_peer::advert::PREFIX;
use cordvault_peer::{AcceptError, Advert, ChannelMessage, PeerTable, PinStore, PinStoreError, Warning};
use cordvault_sftp::PrivateKey;
use russh::keys::ssh_key::HashAlg;
use serde_json::json;

const ALICE_BOT: u64 = 900_000_000_000_000_001;
const MALLORY_BOT: u64 = 900_000_000_000_000_066;

fn fingerprint(key: &PrivateKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn table() -> (tempfile::TempDir, PeerTable) {
    let dir = tempfile::tempdir().unwrap();
    let pins = PinStore::in_dir(dir.path()).unwrap();
    (dir, PeerTable::new(pins))
}

fn msg(id: u64, author: u64, content: &str) -> ChannelMessage {
    ChannelMessage { message_id: id, author_id: author, content: content.to_owned(), posted_at: NOW }
}

#[test]
fn first_advert_is_pinned_and_trusted() {
    let (dir, mut table) = table();
    let (host, client) = (key(1), key(2));
    let report = table.ingest([msg(10, ALICE_BOT, &server_message("alice", &host, &client, NOW))], NOW);
    assert_eq!(report.accepted, 1);
    assert_eq!(report.skipped(), 0);
    assert!(report.warnings.is_empty());
    let peers = table.peers(NOW);
    assert_eq!(peers.len(), 1);
    let peer = &peers[0];
    assert_eq!(peer.instance, "alice");
    assert_eq!(peer.endpoint.as_ref().unwrap().address, "192.0.2.7");
    assert_eq!(peer.endpoint.as_ref().unwrap().port, 2200);
    assert_eq!(peer.fingerprint, fingerprint(&host));
    assert_eq!(peer.client_key.key_data(), client.public_key().key_data());
    assert_eq!(peer.last_seen, NOW);
    assert_eq!((peer.message_id, peer.author_id), (10, ALICE_BOT));
    assert_eq!(table.pins().get("alice"), Some(fingerprint(&host).as_str()));
    let file = std::fs::read_to_string(dir.path().join(PinStore::FILE_NAME)).unwrap();
    assert!(file.contains(&format!("alice {}\n", fingerprint(&host))), "{file}");

    let allowed = table.allowed_client_keys(NOW);
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0].key_data(), client.public_key().key_data());
    assert!(table.authorized_keys(NOW).contains(client.public_key()));
    assert!(!table.authorized_keys(NOW).contains(host.public_key()));
}

#[test]
fn tuples_feed_the_table_and_plain_chat_is_not_counted_as_skipped() {
    let (_dir, mut table) = table();
    let advert = server_message("alice", &key(1), &key(2), NOW);
    let report = table.ingest(
        [(1, 5, "hello", NOW), (2, 5, advert.as_str(), NOW), (3, 5, "", NOW), (4, 5, "cordvault rocks", NOW)],
        NOW,
    );
    assert_eq!(report.accepted, 1);
    assert_eq!(report.not_adverts, 3);
    assert_eq!(report.skipped(), 0);
    assert_eq!(table.peers(NOW).len(), 1);
}

#[test]
fn newest_advert_per_instance_wins() {
    let (_dir, mut table) = table();
    let (host, client, client2) = (key(1), key(2), key(3));
    let older = server_message("alice", &host, &client, NOW - 30);
    let newer = server_message("alice", &host, &client2, NOW - 10);
    // Newest first, as Discord lists them; and again in the other order.
    table.ingest([msg(2, ALICE_BOT, &newer), msg(1, ALICE_BOT, &older)], NOW);
    assert_eq!(table.peers(NOW)[0].client_key.key_data(), client2.public_key().key_data());
    // A later batch holding only the older advert (a replay) changes nothing.
    table.ingest([msg(1, MALLORY_BOT, &older)], NOW);
    let peers = table.peers(NOW);
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].client_key.key_data(), client2.public_key().key_data());
    assert_eq!(peers[0].last_seen, NOW - 10);
    // The old client key is no longer allowed.
    assert_eq!(table.allowed_client_keys(NOW).len(), 1);
    assert!(!table.authorized_keys(NOW).contains(client.public_key()));
}

#[test]
fn spoofed_advert_with_another_host_key_is_ignored_with_a_warning() {
    let (_dir, mut table) = table();
    let (host, client) = (key(1), key(2));
    let (mallory_host, mallory_client) = (key(66), key(67));
    table.ingest([msg(1, ALICE_BOT, &server_message("alice", &host, &client, NOW - 20))], NOW);

    // Mallory: a validly signed advert, newer, under Alice's name, her own keys.
    let spoof = Advert::new(
        "alice",
        Some(common::endpoint("203.0.113.66", 2200)),
        mallory_host.public_key(),
        mallory_client.public_key(),
        NOW,
    )
    .unwrap()
    .to_message(&mallory_host)
    .unwrap();
    let report = table.ingest([msg(2, MALLORY_BOT, &spoof)], NOW);
    assert_eq!(report.accepted, 0);
    assert_eq!(report.key_changed, 1);
    let expected =
        Warning::KeyChanged { instance: "alice".into(), pinned: fingerprint(&host), seen: fingerprint(&mallory_host) };
    assert_eq!(report.warnings, vec![expected.clone()]);
    assert!(expected.to_string().contains("alice"));

    // Still the real Alice, and Mallory's client key is not let in.
    let peers = table.peers(NOW);
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].fingerprint, fingerprint(&host));
    assert_eq!(peers[0].endpoint.as_ref().unwrap().address, "192.0.2.7");
    assert!(!table.authorized_keys(NOW).contains(mallory_client.public_key()));
    assert!(table.authorized_keys(NOW).contains(client.public_key()));
    // Listed, not trusted.
    assert_eq!(table.warnings(NOW), vec![expected]);
    let untrusted = table.untrusted(NOW);
    assert_eq!(untrusted.len(), 1);
    assert_eq!(untrusted[0].fingerprint, fingerprint(&mallory_host));

    // Seen again: no new warning, still ignored.
    let report = table.ingest([msg(2, MALLORY_BOT, &spoof)], NOW + 5);
    assert_eq!(report.key_changed, 1);
    assert!(report.warnings.is_empty());
    assert_eq!(table.pins().get("alice"), Some(fingerprint(&host).as_str()));
}

#[test]
fn accept_repins_the_new_key() {
    let (dir, mut table) = table();
    let (old_host, new_host, client) = (key(1), key(11), key(2));
    table.ingest([msg(1, ALICE_BOT, &server_message("alice", &old_host, &client, NOW - 20))], NOW);
    assert!(matches!(table.accept("alice"), Err(AcceptError::NothingToAccept(_))));
    table.ingest([msg(2, ALICE_BOT, &server_message("alice", &new_host, &client, NOW - 10))], NOW);
    assert_eq!(table.peers(NOW)[0].fingerprint, fingerprint(&old_host));

    assert_eq!(table.accept("alice").unwrap(), fingerprint(&new_host));
    assert_eq!(table.peers(NOW)[0].fingerprint, fingerprint(&new_host));
    assert_eq!(table.pins().get("alice"), Some(fingerprint(&new_host).as_str()));
    // The old key's advert, still live, is now the one flagged.
    assert_eq!(
        table.warnings(NOW),
        vec![Warning::KeyChanged {
            instance: "alice".into(),
            pinned: fingerprint(&new_host),
            seen: fingerprint(&old_host)
        }]
    );
    // Saved: a reloaded store has the new pin.
    let reloaded = PinStore::in_dir(dir.path()).unwrap();
    assert_eq!(reloaded.get("alice"), Some(fingerprint(&new_host).as_str()));
}

#[test]
fn accept_refuses_when_several_new_keys_compete() {
    let (_dir, mut table) = table();
    let client = key(2);
    table.ingest([msg(1, ALICE_BOT, &server_message("alice", &key(1), &client, NOW))], NOW);
    table.ingest(
        [
            msg(2, MALLORY_BOT, &server_message("alice", &key(70), &client, NOW)),
            msg(3, MALLORY_BOT, &server_message("alice", &key(71), &client, NOW)),
        ],
        NOW,
    );
    assert_eq!(table.warnings(NOW).len(), 2);
    match table.accept("alice") {
        Err(AcceptError::Ambiguous { fingerprints, .. }) => assert_eq!(fingerprints.len(), 2),
        other => panic!("{other:?}"),
    }
    table.accept_fingerprint("alice", &fingerprint(&key(71))).unwrap();
    assert_eq!(table.peers(NOW)[0].fingerprint, fingerprint(&key(71)));
    assert!(matches!(table.accept_fingerprint("alice", "SHA256:nope"), Err(AcceptError::NothingToAccept(_))));
}

#[test]
fn tampered_advert_is_refused() {
    let (_dir, mut table) = table();
    let (host, client) = (key(1), key(2));
    let real = server_message("alice", &host, &client, NOW);
    // Mallory copies Alice's advert but points it at her server.
    let redirected = tampered(&real, "address", json!("203.0.113.66"));
    let report = table.ingest([msg(1, MALLORY_BOT, &redirected)], NOW);
    assert_eq!(report.bad_signature, 1);
    assert_eq!(report.accepted, 0);
    assert!(table.peers(NOW).is_empty());
    assert!(table.pins().get("alice").is_none(), "nothing pinned from a forged advert");
    table.ingest([msg(2, ALICE_BOT, &real), msg(3, MALLORY_BOT, &redirected)], NOW);
    assert_eq!(table.peers(NOW)[0].endpoint.as_ref().unwrap().address, "192.0.2.7");
}

/// Broken JSON, a 100 KB message and a flood of 500 garbage adverts in one
/// batch: the batch is read, the real peer stays trusted, nothing else is.
#[test]
fn garbage_and_floods_leave_the_table_working() {
    let (_dir, mut table) = table();
    let (host, client) = (key(1), key(2));
    let real = server_message("alice", &host, &client, NOW - 5);
    table.ingest([msg(1, ALICE_BOT, &real)], NOW);

    let mut batch = vec![
        msg(2, MALLORY_BOT, &format!("{PREFIX}{{\"v\":1,\"instance\":")),
        msg(3, MALLORY_BOT, &format!("{PREFIX}{}", "A".repeat(100 * 1024))),
    ];
    let mut id = 100;
    for round in 0..100u64 {
        // 5 kinds × 100 = 500 garbage adverts.
        let forged_key = key((round % 200) as u8 + 20);
        let spoof = server_message("alice", &forged_key, &forged_key, NOW);
        batch.push(msg(id, MALLORY_BOT, &spoof)); // validly signed, wrong key
        batch.push(msg(id + 1, MALLORY_BOT, &tampered(&real, "port", json!(round as u16 + 1)))); // bad signature
        batch.push(msg(id + 2, MALLORY_BOT, &format!("{PREFIX}{{garbage {round}")));
        batch.push(msg(id + 3, MALLORY_BOT, &tampered(&real, "timestamp", json!(NOW - 1000 - round)))); // stale
        let mut sneaky = body(&real);
        sneaky["instance"] = json!(format!("mallory-{round}"));
        batch.push(msg(id + 4, MALLORY_BOT, &message(&sneaky))); // new instance, forged signature
        id += 5;
    }
    batch.push(msg(5_000, ALICE_BOT, &real));
    assert_eq!(batch.len(), 503);

    let report = table.ingest(batch, NOW);
    assert_eq!(report.accepted, 1);
    assert_eq!(report.oversized, 1);
    assert_eq!(report.malformed, 101);
    // Every tampered port and every renamed copy: bad signatures. The stale
    // ones are refused by age, before their signature is even checked.
    assert_eq!(report.bad_signature, 200);
    assert_eq!(report.stale, 100);
    assert_eq!(report.key_changed, 100);
    assert_eq!(report.skipped(), 402);

    let peers = table.peers(NOW);
    assert_eq!(peers.len(), 1, "{peers:?}");
    assert_eq!(peers[0].instance, "alice");
    assert_eq!(peers[0].fingerprint, fingerprint(&host));
    assert_eq!(table.allowed_client_keys(NOW).len(), 1);
    assert_eq!(table.pins().len(), 1);

    // And it keeps working afterwards: a new honest peer is found.
    let bob = server_message("bob", &key(3), &key(4), NOW);
    let report = table.ingest([msg(6_000, 42, &bob)], NOW);
    assert_eq!(report.accepted, 1);
    assert_eq!(table.peers(NOW).len(), 2);
}

#[test]
fn stale_adverts_drop_out() {
    let (_dir, mut table) = table();
    let (alice, bob, client) = (key(1), key(3), key(2));
    table.ingest(
        [
            msg(1, ALICE_BOT, &server_message("alice", &alice, &client, NOW)),
            msg(2, 7, &server_message("bob", &bob, &client, NOW + 100)),
        ],
        NOW + 100,
    );
    assert_eq!(table.peers(NOW + 100).len(), 2);
    assert_eq!(table.peers(NOW + 180).len(), 2);
    // Alice stopped advertising (kill -9): gone after 180 s, even without a new batch.
    let peers = table.peers(NOW + 181);
    assert_eq!(peers.iter().map(|peer| peer.instance.as_str()).collect::<Vec<_>>(), ["bob"]);
    assert_eq!(table.allowed_client_keys(NOW + 281).len(), 0);
    assert!(table.peer("alice", NOW + 181).is_none());
    assert!(table.peer("bob", NOW + 181).is_some());
    // A batch prunes it for good; the pin stays.
    table.ingest(Vec::<ChannelMessage>::new(), NOW + 181);
    assert_eq!(table.peers(NOW + 100).len(), 1);
    assert!(table.pins().get("alice").is_some());
    // A stale advert never enters.
    let report = table.ingest([msg(3, 7, &server_message("carol", &key(5), &client, NOW))], NOW + 500);
    assert_eq!(report.stale, 1);
    assert!(table.peer("carol", NOW + 500).is_none());
}

#[test]
fn replace_forgets_deleted_adverts() {
    let (_dir, mut table) = table();
    let client = key(2);
    let alice = server_message("alice", &key(1), &client, NOW);
    let bob = server_message("bob", &key(3), &client, NOW);
    table.replace([msg(1, ALICE_BOT, &alice), msg(2, 7, &bob)], NOW);
    assert_eq!(table.peers(NOW).len(), 2);
    // Alice exited and deleted her advert.
    table.replace([msg(2, 7, &bob)], NOW + 10);
    let peers = table.peers(NOW + 10);
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].instance, "bob");
    assert!(table.pins().get("alice").is_some());
}

#[test]
fn client_only_peers_are_listed_and_allowed() {
    let (_dir, mut table) = table();
    let (identity, client) = (key(5), key(6));
    let text = Advert::new("dave", None, identity.public_key(), client.public_key(), NOW)
        .unwrap()
        .to_message(&identity)
        .unwrap();
    table.ingest([msg(1, 8, &text)], NOW);
    let peers = table.peers(NOW);
    assert_eq!(peers.len(), 1);
    assert!(peers[0].endpoint.is_none());
    assert!(table.authorized_keys(NOW).contains(client.public_key()));
}

#[test]
fn the_pin_survives_reloading_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (host, client, mallory) = (key(1), key(2), key(66));
    {
        let mut table = PeerTable::new(PinStore::in_dir(dir.path()).unwrap());
        table.ingest([msg(1, ALICE_BOT, &server_message("alice", &host, &client, NOW))], NOW);
    }
    // A new run: Mallory advertises first, but the pin from last run holds.
    let pins = PinStore::in_dir(dir.path()).unwrap();
    assert_eq!(pins.get("alice"), Some(fingerprint(&host).as_str()));
    let mut table = PeerTable::new(pins);
    let report = table.ingest([msg(2, MALLORY_BOT, &server_message("alice", &mallory, &mallory, NOW))], NOW);
    assert_eq!(report.accepted, 0);
    assert_eq!(report.key_changed, 1);
    assert!(table.peers(NOW).is_empty());
    assert!(table.allowed_client_keys(NOW).is_empty());
    table.ingest([msg(3, ALICE_BOT, &server_message("alice", &host, &client, NOW))], NOW);
    assert_eq!(table.peers(NOW)[0].fingerprint, fingerprint(&host));
}

#[test]
fn pin_file_format_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("pins");
    let mut pins = PinStore::load(&path).unwrap();
    assert!(pins.is_empty());
    pins.pin("bob", "SHA256:bbbb").unwrap();
    pins.pin("alice", "SHA256:aaaa").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("alice SHA256:aaaa\nbob SHA256:bbbb\n"), "{text}");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    assert!(pins.unpin("bob").unwrap());
    assert!(!pins.unpin("bob").unwrap());
    assert_eq!(PinStore::load(&path).unwrap().iter().collect::<Vec<_>>(), [("alice", "SHA256:aaaa")]);
    assert!(pins.pin("two words", "SHA256:x").is_err());
    assert!(pins.pin("carol", "MD5:x").is_err());

    // Comments and blank lines are fine; anything else that does not parse
    // is an error, never a silently dropped pin.
    std::fs::write(&path, "# pins\n\nalice SHA256:aaaa\n").unwrap();
    assert_eq!(PinStore::load(&path).unwrap().len(), 1);
    for bad in
        ["alice\n", "alice SHA256:a extra\n", "al ice SHA256:a\n", "alice md5:a\n", "alice SHA256:a\nalice SHA256:b\n"]
    {
        std::fs::write(&path, bad).unwrap();
        assert!(matches!(PinStore::load(&path), Err(PinStoreError::Malformed { .. })), "{bad:?}");
    }
}

#[test]
fn a_pin_that_cannot_be_saved_still_holds_for_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let pins = PinStore::in_dir(&config).unwrap();
    // Then the config directory turns into a file: every save fails.
    std::fs::remove_dir(&config).unwrap();
    std::fs::write(&config, "").unwrap();
    let mut table = PeerTable::new(pins);
    let (host, client) = (key(1), key(2));
    let report = table.ingest([msg(1, ALICE_BOT, &server_message("alice", &host, &client, NOW))], NOW);
    assert_eq!(report.accepted, 1);
    assert!(matches!(report.warnings.as_slice(), [Warning::PinNotSaved { .. }]), "{:?}", report.warnings);
    let report = table.ingest([msg(2, MALLORY_BOT, &server_message("alice", &key(66), &client, NOW))], NOW);
    assert_eq!(report.key_changed, 1);
    assert_eq!(table.peers(NOW)[0].fingerprint, fingerprint(&host));
    // Accepting needs the pin saved: refused, nothing changes.
    assert!(matches!(table.accept("alice"), Err(AcceptError::Pins(_))));
    assert_eq!(table.pins().get("alice"), Some(fingerprint(&host).as_str()));
    assert_eq!(table.peers(NOW)[0].fingerprint, fingerprint(&host));
}
