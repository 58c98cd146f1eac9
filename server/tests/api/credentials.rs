//! Account credentials besides the password: SSH public keys (and the
//! gateway login they open, on the workers' internal API) and app passwords.

use cordvault_client::proto as pb;
use cordvault_client::proto::auth_service_client::AuthServiceClient;
use cordvault_client::proto::delete_user_request::Files;
use cordvault_client::{Client, ErrorCode, from_status};
use cordvault_proto::worker::v1 as worker;
use cordvault_test_support::{Backend, TestServer, authed, backend_tests, channel, random_bytes};
use russh::keys::ssh_key::Mpint;
use russh::keys::ssh_key::public::{DsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey, SkEd25519};
use russh::keys::{Algorithm, EcdsaCurve, HashAlg, PrivateKey, PublicKey};
use std::time::Duration;

use tonic::Code;
use worker::worker_link_service_client::WorkerLinkServiceClient;

backend_tests!(
    ssh_keys_are_added_listed_and_removed_by_their_owner_only,
    a_key_belongs_to_one_account,
    bad_ssh_keys_are_invalid_arguments,
    credentials_per_user_are_limited,
    app_password_logs_in_until_revoked,
    app_password_cannot_change_the_password,
    gateway_login_takes_the_service_password_and_a_registered_key,
    deleting_a_user_deletes_their_credentials,
    guesses_are_throttled_as_before,
);

/// A fresh key pair's public half.
fn new_key(algorithm: Algorithm) -> PublicKey {
    PrivateKey::random(&mut rand_russh::rng(), algorithm).expect("key generation").public_key().clone()
}

/// An authorized_keys line for `key` with `comment`.
fn line(key: &PublicKey, comment: &str) -> String {
    let mut key = key.clone();
    key.set_comment(comment);
    key.to_openssh().expect("encode")
}

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// An RSA public key with a modulus of `bits` bits: parsing does not check
/// that the modulus is a product of primes, and making a real one is slow.
fn rsa_key(bits: usize, seed: u64) -> PublicKey {
    let mut modulus = random_bytes(bits / 8, seed).to_vec();
    modulus[0] |= 0x80;
    *modulus.last_mut().unwrap() |= 1;
    let rsa = RsaPublicKey::new(Mpint::from_positive_bytes(&[1, 0, 1]), Mpint::from_positive_bytes(&modulus))
        .expect("rsa key");
    PublicKey::new(KeyData::Rsa(rsa), "")
}

/// A DSA public key (ssh-dss): its numbers need not make sense to be refused.
fn dsa_key() -> PublicKey {
    let number = |len, seed| Mpint::from_positive_bytes(&random_bytes(len, seed));
    let dsa = DsaPublicKey::new(number(128, 1), number(20, 2), number(128, 3), number(128, 4)).expect("dsa key");
    PublicKey::new(KeyData::Dsa(dsa), "")
}

#[track_caller]
fn fails_with<T: std::fmt::Debug>(result: cordvault_client::Result<T>, code: ErrorCode, what: &str) -> String {
    let err = result.expect_err(what);
    assert_eq!(err.code, code, "{what}: {err}");
    err.message
}

async fn ssh_keys_are_added_listed_and_removed_by_their_owner_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let ed25519 = new_key(Algorithm::Ed25519);
    let ecdsa = new_key(Algorithm::Ecdsa { curve: EcdsaCurve::NistP256 });
    let rsa = rsa_key(2048, 7);

    let added = alice.add_ssh_key(&line(&ed25519, "alice@laptop")).await.unwrap();
    assert_eq!(added.fingerprint, fingerprint(&ed25519));
    assert!(added.fingerprint.starts_with("SHA256:"), "{}", added.fingerprint);
    assert_eq!((added.algorithm.as_str(), added.comment.as_str()), ("ssh-ed25519", "alice@laptop"));
    assert!(added.created_at_ms > 0);
    let second = alice.add_ssh_key(&format!("  {}\n", line(&ecdsa, ""))).await.unwrap();
    assert_eq!((second.algorithm.as_str(), second.comment.as_str()), ("ecdsa-sha2-nistp256", ""));
    let third = alice.add_ssh_key(&line(&rsa, "old rsa key")).await.unwrap();
    assert_eq!(third.algorithm, "ssh-rsa");
    assert_eq!(alice.list_ssh_keys().await.unwrap(), vec![added.clone(), second.clone(), third.clone()]);

    // Bob sees none of them and cannot remove them.
    assert!(bob.list_ssh_keys().await.unwrap().is_empty());
    let message = fails_with(bob.remove_ssh_key(added.id).await, ErrorCode::NotFound, "bob removes alice's key");
    assert!(message.contains(&added.id.to_string()), "{message}");
    assert_eq!(alice.list_ssh_keys().await.unwrap().len(), 3);

    alice.remove_ssh_key(second.id).await.unwrap();
    assert_eq!(alice.list_ssh_keys().await.unwrap(), vec![added.clone(), third]);
    fails_with(alice.remove_ssh_key(second.id).await, ErrorCode::NotFound, "removed twice");
    fails_with(alice.remove_ssh_key(0).await, ErrorCode::NotFound, "no such id");
    let anonymous = server.anonymous().await;
    fails_with(anonymous.list_ssh_keys().await, ErrorCode::Unauthenticated, "no token");
    fails_with(anonymous.add_ssh_key(&line(&ecdsa, "")).await, ErrorCode::Unauthenticated, "no token");
    server.shutdown().await;
}

async fn a_key_belongs_to_one_account(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let key = new_key(Algorithm::Ed25519);
    let added = alice.add_ssh_key(&line(&key, "alice")).await.unwrap();

    let message = fails_with(alice.add_ssh_key(&line(&key, "again")).await, ErrorCode::AlreadyExists, "twice");
    assert!(message.contains("already"), "{message}");
    // Another comment is the same key; nothing says whose it is.
    let message = fails_with(bob.add_ssh_key(&line(&key, "bob")).await, ErrorCode::AlreadyExists, "bob takes it");
    assert!(message.contains("another account") && !message.contains("alice"), "{message}");
    assert!(bob.list_ssh_keys().await.unwrap().is_empty());

    // Once alice lets it go, bob may have it.
    alice.remove_ssh_key(added.id).await.unwrap();
    assert_eq!(bob.add_ssh_key(&line(&key, "bob")).await.unwrap().fingerprint, added.fingerprint);
    server.shutdown().await;
}

async fn bad_ssh_keys_are_invalid_arguments(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let good = line(&new_key(Algorithm::Ed25519), "alice");
    let security_key =
        PublicKey::new(KeyData::SkEd25519(SkEd25519::new(Ed25519PublicKey([7; 32]), "ssh:".to_owned())), "yubikey");
    let cases = [
        (String::new(), "empty"),
        ("garbage".to_owned(), "not an OpenSSH public key"),
        ("ssh-ed25519 AAAAnotbase64!".to_owned(), "not an OpenSSH public key"),
        (format!("ssh-rsa {}", good.split(' ').nth(1).unwrap()), "not an OpenSSH public key"),
        (format!("from=\"10.0.0.1\" {good}"), "options"),
        (format!("command=\"ls -l\",no-pty,no-port-forwarding {good}"), "options"),
        (format!("{good}\n{good}"), "one line"),
        (line(&dsa_key(), "old"), "DSA"),
        (line(&rsa_key(1024, 8), "short"), "2048 bits"),
        (line(&security_key, ""), "sk-ssh-ed25519@openssh.com keys are not accepted"),
        (format!("{good} {}", "x".repeat(16 * 1024)), "16 KiB"),
    ];
    for (text, expected) in cases {
        let shown: String = text.chars().take(60).collect();
        let message = fails_with(alice.add_ssh_key(&text).await, ErrorCode::InvalidArgument, &shown);
        assert!(message.contains(expected), "{shown:?}: {message}");
    }
    assert!(alice.list_ssh_keys().await.unwrap().is_empty());
    alice.add_ssh_key(&good).await.unwrap();
    server.shutdown().await;
}

async fn credentials_per_user_are_limited(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    for index in 0..100 {
        alice.add_ssh_key(&line(&new_key(Algorithm::Ed25519), &format!("key {index}"))).await.unwrap();
    }
    let extra = line(&new_key(Algorithm::Ed25519), "one too many");
    let message = fails_with(alice.add_ssh_key(&extra).await, ErrorCode::ResourceExhausted, "101st key");
    assert!(message.contains("100"), "{message}");
    let keys = alice.list_ssh_keys().await.unwrap();
    assert_eq!(keys.len(), 100);
    alice.remove_ssh_key(keys[0].id).await.unwrap();
    alice.add_ssh_key(&extra).await.unwrap();

    for index in 0..50 {
        alice.create_app_password(&format!("client {index}")).await.unwrap();
    }
    let message = fails_with(alice.create_app_password("51st").await, ErrorCode::ResourceExhausted, "51st");
    assert!(message.contains("50"), "{message}");
    assert_eq!(alice.list_app_passwords().await.unwrap().len(), 50);
    // Limits are per user.
    let bob = server.user("bob").await;
    bob.create_app_password("bob's").await.unwrap();
    bob.add_ssh_key(&line(&new_key(Algorithm::Ed25519), "bob")).await.unwrap();
    server.shutdown().await;
}

async fn app_password_logs_in_until_revoked(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let anonymous = server.anonymous().await;

    let created = alice.create_app_password("  laptop webdav ").await.unwrap();
    let secret = created.secret.clone();
    assert_eq!(secret.len(), 32, "{secret}");
    assert!(secret.chars().all(|c| c.is_ascii_alphanumeric() && !"01IO".contains(c)), "{secret}");
    assert_eq!(created.app_password.label, "laptop webdav");
    assert_eq!(created.app_password.last_used_at_ms, 0);

    // The secret logs in as the password does; the token is an ordinary one.
    let login = anonymous.login("alice", &secret).await.unwrap();
    assert_eq!(login.user.username, "alice");
    let by_app = anonymous.with_token(login.token);
    assert_eq!(by_app.who_am_i().await.unwrap().username, "alice");
    by_app.create_folder("/from-webdav").await.unwrap();
    assert_eq!(alice.stat("/from-webdav").await.unwrap().owner, "alice");
    assert!(anonymous.login("alice", "alice-password").await.is_ok(), "the password still works");

    // Listed with its last use, never with the secret.
    let listed = alice.list_app_passwords().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].id, listed[0].label.as_str()), (created.app_password.id, "laptop webdav"));
    assert!(listed[0].last_used_at_ms >= listed[0].created_at_ms && listed[0].last_used_at_ms > 0);
    let mut auth = AuthServiceClient::new(channel(&server.url).await);
    let request = authed(pb::ListAppPasswordsRequest {}, alice.token().unwrap());
    let raw = auth.list_app_passwords(request).await.unwrap().into_inner();
    assert!(!format!("{raw:?}").contains(&secret), "{raw:?}");
    assert!(!prost::Message::encode_to_vec(&raw).windows(secret.len()).any(|w| w == secret.as_bytes()));

    // Alice's, for alice only.
    assert!(bob.list_app_passwords().await.unwrap().is_empty());
    fails_with(anonymous.login("bob", &secret).await, ErrorCode::Unauthenticated, "bob with alice's secret");
    fails_with(bob.revoke_app_password(created.app_password.id).await, ErrorCode::NotFound, "bob revokes");
    let wrong: String = secret.chars().rev().collect();
    fails_with(anonymous.login("alice", &wrong).await, ErrorCode::Unauthenticated, "a wrong secret");
    fails_with(alice.create_app_password(" ").await, ErrorCode::InvalidArgument, "blank label");
    fails_with(alice.create_app_password(&"x".repeat(101)).await, ErrorCode::InvalidArgument, "long label");

    // Revoked: logging in with it fails at once.
    alice.revoke_app_password(created.app_password.id).await.unwrap();
    fails_with(anonymous.login("alice", &secret).await, ErrorCode::Unauthenticated, "revoked");
    fails_with(alice.revoke_app_password(created.app_password.id).await, ErrorCode::NotFound, "revoked twice");
    assert!(alice.list_app_passwords().await.unwrap().is_empty());
    // A token it gave lasts as any token does, until a password change.
    assert_eq!(by_app.who_am_i().await.unwrap().username, "alice");
    let other = alice.create_app_password("phone").await.unwrap();
    let phone = anonymous.with_token(anonymous.login("alice", &other.secret).await.unwrap().token);
    alice.update_password("alice-password", "alice-new-password").await.unwrap();
    for client in [&by_app, &phone] {
        fails_with(client.who_am_i().await, ErrorCode::Unauthenticated, "after a password change");
    }
    server.shutdown().await;
}

async fn app_password_cannot_change_the_password(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let secret = alice.create_app_password("webdav").await.unwrap().secret;
    let by_app = alice.with_token(server.anonymous().await.login("alice", &secret).await.unwrap().token);
    for client in [&alice, &by_app] {
        let refused = client.update_password(&secret, "a-new-password").await;
        let message = fails_with(refused, ErrorCode::PermissionDenied, "app password as the old password");
        assert!(message.contains("old password"), "{message}");
    }
    let anonymous = server.anonymous().await;
    fails_with(anonymous.login("alice", "a-new-password").await, ErrorCode::Unauthenticated, "not changed");
    assert!(anonymous.login("alice", "alice-password").await.is_ok());
    // Only the password changes the password, from either token.
    by_app.update_password("alice-password", "alice-new-password").await.unwrap();
    assert!(anonymous.login("alice", "alice-new-password").await.is_ok());
    server.shutdown().await;
}

async fn gateway_login(
    server: &TestServer,
    service_password: &str,
    username: &str,
    key: &str,
) -> Result<worker::GatewayLoginResponse, tonic::Status> {
    let request = worker::GatewayLoginRequest {
        service_password: service_password.into(),
        username: username.into(),
        public_key: key.into(),
    };
    let mut client = WorkerLinkServiceClient::new(channel(&server.url).await);
    client.gateway_login(request).await.map(tonic::Response::into_inner)
}

async fn gateway_login_takes_the_service_password_and_a_registered_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let service_password = server.service_password();
    let (alice_key, bob_key, stranger) =
        (new_key(Algorithm::Ed25519), new_key(Algorithm::Ecdsa { curve: EcdsaCurve::NistP384 }), rsa_key(3072, 9));
    let added = alice.add_ssh_key(&line(&alice_key, "alice@laptop")).await.unwrap();
    bob.add_ssh_key(&line(&bob_key, "bob")).await.unwrap();

    // The right key, with any comment or none, logs in with an ordinary token.
    for key in [line(&alice_key, ""), line(&alice_key, "as the gateway saw it")] {
        let login = gateway_login(&server, &service_password, "alice", &key).await.unwrap();
        let user = login.user.expect("user");
        assert_eq!((user.username.as_str(), user.is_admin), ("alice", false));
        assert!(login.expires_at_ms > 0);
        let client = server.anonymous().await.with_token(login.token);
        assert_eq!(client.who_am_i().await.unwrap().username, "alice");
        client.create_folder("/over-sftp").await.unwrap();
    }

    // A wrong service password: unauthenticated, whatever the rest.
    for wrong in ["", "not-the-service-password", &format!("{service_password}x")] {
        let status = gateway_login(&server, wrong, "alice", &line(&alice_key, "")).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    // Bob's key for alice, a stranger's key, an unknown user: one answer.
    let refusals = [
        gateway_login(&server, &service_password, "alice", &line(&bob_key, "")).await,
        gateway_login(&server, &service_password, "alice", &line(&stranger, "")).await,
        gateway_login(&server, &service_password, "nobody", &line(&alice_key, "")).await,
        gateway_login(&server, &service_password, "", &line(&alice_key, "")).await,
        gateway_login(&server, &service_password, &"x".repeat(100), &line(&alice_key, "")).await,
    ];
    let messages: Vec<String> = refusals
        .into_iter()
        .map(|refused| {
            let status = refused.unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
            status.message().to_owned()
        })
        .collect();
    assert!(messages.iter().all(|message| *message == messages[0]), "{messages:?}");
    let status = gateway_login(&server, &service_password, "alice", "not a key").await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    // A removed key logs in no more.
    alice.remove_ssh_key(added.id).await.unwrap();
    let status = gateway_login(&server, &service_password, "alice", &line(&alice_key, "")).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::PermissionDenied, messages[0].as_str()));
    server.shutdown().await;
}

async fn delete_user(admin: &Client, username: &str) {
    let request = pb::DeleteUserRequest { username: username.into(), files: Some(Files::DeleteFiles(true)) };
    admin.admin().unwrap().delete_user(request).await.map_err(from_status).unwrap();
}

async fn deleting_a_user_deletes_their_credentials(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let bob = server.user("bob").await;
    let key = line(&new_key(Algorithm::Ed25519), "bob");
    bob.add_ssh_key(&key).await.unwrap();
    let secret = bob.create_app_password("webdav").await.unwrap().secret;
    gateway_login(&server, &server.service_password(), "bob", &key).await.unwrap();

    delete_user(&admin, "bob").await;
    let anonymous = server.anonymous().await;
    fails_with(anonymous.login("bob", &secret).await, ErrorCode::Unauthenticated, "deleted user's app password");
    let status = gateway_login(&server, &server.service_password(), "bob", &key).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    // A new bob inherits nothing, and the key is free for anyone.
    let bob = server.user("bob").await;
    assert!(bob.list_ssh_keys().await.unwrap().is_empty());
    assert!(bob.list_app_passwords().await.unwrap().is_empty());
    fails_with(anonymous.login("bob", &secret).await, ErrorCode::Unauthenticated, "new bob, old secret");
    let carol = server.user("carol").await;
    carol.add_ssh_key(&key).await.unwrap();
    server.shutdown().await;
}

/// App passwords go through Login's lockouts; service password guesses at
/// GatewayLogin are locked out per address as workers' are.
async fn guesses_are_throttled_as_before(backend: Backend) {
    let server = TestServer::start(backend).await;
    let bob = server.user("bob").await;
    let secret = bob.create_app_password("webdav").await.unwrap().secret;
    let anonymous = server.anonymous().await;
    for _ in 0..6 {
        fails_with(anonymous.login("bob", "not-bobs-password").await, ErrorCode::Unauthenticated, "a guess");
    }
    let locked = fails_with(anonymous.login("bob", &secret).await, ErrorCode::ResourceExhausted, "locked out");
    assert!(!locked.is_empty());
    server.clock().advance(Duration::from_secs(60));
    anonymous.login("bob", &secret).await.unwrap();

    let key = line(&new_key(Algorithm::Ed25519), "bob");
    bob.add_ssh_key(&key).await.unwrap();
    let mut codes = Vec::new();
    for n in 0..25 {
        codes.push(gateway_login(&server, &format!("guess-{n}"), "bob", &key).await.unwrap_err().code());
    }
    assert_eq!(codes[0], Code::Unauthenticated);
    assert_eq!(codes.last(), Some(&Code::ResourceExhausted), "{codes:?}");
    let locked = gateway_login(&server, &server.service_password(), "bob", &key).await.unwrap_err();
    assert_eq!(locked.code(), Code::ResourceExhausted, "{locked:?}");
    server.clock().advance(Duration::from_secs(16 * 60));
    gateway_login(&server, &server.service_password(), "bob", &key).await.unwrap();
    server.shutdown().await;
}
