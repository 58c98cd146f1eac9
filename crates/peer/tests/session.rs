//! Downloads from a peer through the library: an interrupted `get` resumes
//! from its part file, existing files are kept unless forced, and a hostile
//! server's names, depth and sizes never reach outside the target.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cordvault_peer::node::ShareOptions;
use cordvault_peer::session::PART_SUFFIX;
use cordvault_peer::{
    AdvertChannel, ChannelChoice, Endpoint, GetOptions, Identity, Peer, PeerError, PeerNode, PeerOptions, PeerSession,
    Progress, unix_now,
};
use cordvault_sftp::{DirEntry, FileKind, FsError, HostKey, Metadata, SftpFile, SftpFileSystem, SftpPath, SftpServer};
use cordvault_store::DiscordApi;
use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};
use cordvault_test_support::random_bytes;
use tokio::sync::Notify;

const TOKEN: &str = "session-test-token";
const CHANNEL: u64 = 1_000_000_000_000_001;

async fn node(emulator: &RunningEmulator, config: &Path, instance: &str, share: Option<&Path>) -> PeerNode {
    let api = DiscordApi::new(&[TOKEN.to_owned()], Some(emulator.url.clone())).unwrap();
    let channel = AdvertChannel::open(Arc::new(api), &ChannelChoice::Name("general".into())).await.unwrap();
    let share = share.map(|folder| ShareOptions {
        folder: folder.to_owned(),
        bind: "127.0.0.1:0".parse().unwrap(),
        advertise: None,
        writable: false,
        dotfiles: false,
        upnp: None,
    });
    PeerNode::start(Identity::load_or_create(config).unwrap(), channel, PeerOptions::new(instance, share))
        .await
        .unwrap()
}

/// alice shares `folder`; bob (client-only) is connected to her.
async fn connected(base: &Path, folder: &Path) -> (RunningEmulator, PeerNode, PeerNode, PeerSession) {
    let emulator = RunningEmulator::start(EmulatorConfig {
        tokens: vec![TOKEN.into()],
        channels: vec![CHANNEL],
        ..Default::default()
    })
    .await;
    let alice = node(&emulator, &base.join("alice"), "alice", Some(folder)).await;
    let bob = node(&emulator, &base.join("bob"), "bob", None).await;
    alice.refresh().await.unwrap();
    let peer = bob.peer("alice").expect("bob sees alice");
    let session = PeerSession::connect(&peer, bob.identity().client_key()).await.expect("alice lets bob in");
    (emulator, alice, bob, session)
}

/// Stops the transfer (by waking the test) once `after` bytes went by.
struct StopAfter {
    after: u64,
    seen: AtomicU64,
    resumed_from: AtomicU64,
    stop: Notify,
}

impl Progress for StopAfter {
    fn file_started(&self, _: &str, _: u64, resumed_from: u64) {
        self.resumed_from.store(resumed_from, Ordering::SeqCst);
    }

    fn advanced(&self, bytes: u64) {
        if self.seen.fetch_add(bytes, Ordering::SeqCst) + bytes >= self.after {
            self.stop.notify_one();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_get_resumes_where_it_stopped() {
    let base = tempfile::tempdir().unwrap();
    let folder = base.path().join("share");
    fs::create_dir(&folder).unwrap();
    let data = random_bytes(48 * 1024 * 1024, 11);
    fs::write(folder.join("big.bin"), &data).unwrap();
    let (_emulator, alice, bob, session) = connected(base.path(), &folder).await;
    let target_dir = base.path().join("downloads");
    fs::create_dir(&target_dir).unwrap();

    let stopper = StopAfter { after: 8 << 20, seen: 0.into(), resumed_from: 0.into(), stop: Notify::new() };
    tokio::select! {
        result = session.get("/big.bin", Some(&target_dir), GetOptions::default(), &stopper) => {
            panic!("the get should have been interrupted: {result:?}");
        }
        _ = stopper.stop.notified() => {}
    }
    // The last write handed to tokio's blocking pool may still land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let parts: Vec<_> = fs::read_dir(&target_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(PART_SUFFIX))
        .collect();
    assert_eq!(parts.len(), 1, "one part file");
    let kept = fs::metadata(&parts[0]).unwrap().len();
    assert!(kept > 0 && kept < data.len() as u64, "part of {kept} bytes");
    assert!(!target_dir.join("big.bin").exists(), "nothing under the final name yet");

    let again = StopAfter { after: u64::MAX, seen: 0.into(), resumed_from: 0.into(), stop: Notify::new() };
    let report = session.get("/big.bin", Some(&target_dir), GetOptions::default(), &again).await.unwrap();
    assert_eq!(again.resumed_from.load(Ordering::SeqCst), kept);
    assert_eq!(report.bytes, data.len() as u64 - kept, "only the rest is fetched");
    assert_eq!(fs::read(target_dir.join("big.bin")).unwrap(), data);
    assert!(!parts[0].exists(), "the part file became the file");

    // An existing file is kept unless forced.
    let err = session.get("/big.bin", Some(&target_dir), GetOptions::default(), &again).await.unwrap_err();
    assert!(matches!(err, PeerError::Exists(_)), "{err}");
    fs::write(target_dir.join("big.bin"), b"local edit").unwrap();
    let err = session.get("/big.bin", Some(&target_dir.join("big.bin")), GetOptions::default(), &again).await;
    assert!(matches!(err, Err(PeerError::Exists(_))));
    assert_eq!(fs::read(target_dir.join("big.bin")).unwrap(), b"local edit");
    let forced = GetOptions { recursive: false, force: true };
    session.get("/big.bin", Some(&target_dir), forced, &again).await.unwrap();
    assert_eq!(fs::read(target_dir.join("big.bin")).unwrap(), data);

    // A folder needs -r; a local symlink is never written through.
    fs::create_dir(folder.join("docs")).unwrap();
    fs::write(folder.join("docs/a.txt"), b"a").unwrap();
    let err = session.get("/docs", Some(&target_dir), GetOptions::default(), &again).await.unwrap_err();
    assert!(err.to_string().contains("get -r"), "{err}");
    let elsewhere = base.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, target_dir.join("docs")).unwrap();
    let recursive = GetOptions { recursive: true, force: true };
    assert!(session.get("/docs", Some(&target_dir), recursive, &again).await.is_err());
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through the link");

    session.close().await;
    bob.shutdown().await;
    alice.shutdown().await;
}

/// A server that lies: names with `/` and `..`, an endless tree, a file
/// bigger than it says.
struct HostileFs;

struct HostileFile;

fn meta(kind: FileKind, size: u64) -> Metadata {
    Metadata { kind, size, permissions: 0o644, modified: None, accessed: None }
}

impl SftpFile for HostileFile {
    async fn read_at(&mut self, _offset: u64, len: u32) -> Result<Vec<u8>, FsError> {
        // Always more: a client trusting the data instead of the size never stops.
        Ok(vec![b'x'; len as usize])
    }

    async fn write_at(&mut self, _offset: u64, _data: Vec<u8>) -> Result<(), FsError> {
        Err(FsError::PermissionDenied)
    }

    async fn metadata(&mut self) -> Result<Metadata, FsError> {
        Ok(meta(FileKind::File, 5))
    }
}

impl SftpFileSystem for HostileFs {
    type File = HostileFile;

    fn writable(&self) -> bool {
        false
    }

    async fn stat(&self, path: &SftpPath) -> Result<Metadata, FsError> {
        if path.is_root() || path.file_name() == Some("loop") {
            Ok(meta(FileKind::Dir, 0))
        } else {
            Ok(meta(FileKind::File, 5))
        }
    }

    async fn lstat(&self, path: &SftpPath) -> Result<Metadata, FsError> {
        self.stat(path).await
    }

    async fn read_dir(&self, path: &SftpPath) -> Result<Vec<DirEntry>, FsError> {
        let entry = |name: &str, kind| DirEntry { name: name.to_owned(), metadata: meta(kind, 5) };
        if path.is_root() {
            Ok(vec![
                entry("../escaped.txt", FileKind::File),
                entry("nested/../../up.txt", FileKind::File),
                entry("..", FileKind::Dir),
                entry(".", FileKind::Dir),
                entry("", FileKind::File),
                entry("liar.txt", FileKind::File),
                entry("loop", FileKind::Dir),
            ])
        } else {
            Ok(vec![entry("loop", FileKind::Dir)])
        }
    }

    async fn open_read(&self, _path: &SftpPath) -> Result<HostileFile, FsError> {
        Ok(HostileFile)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_server_cannot_write_outside_the_target() {
    let host_key = HostKey::generate().unwrap();
    let client = HostKey::generate().unwrap();
    let server =
        SftpServer::builder(HostileFs, host_key.clone(), |_: &str, _: &cordvault_sftp::PublicKey| true).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { server.serve(listener).await });
    let peer = Peer {
        instance: "mallory".into(),
        endpoint: Some(Endpoint { address: "127.0.0.1".into(), port }),
        fingerprint: host_key.fingerprint(),
        host_key: host_key.public_key().clone(),
        client_key: client.public_key().clone(),
        last_seen: unix_now(),
        message_id: 1,
        author_id: 1,
    };
    let session = PeerSession::connect(&peer, client.private_key()).await.unwrap();
    let base = tempfile::tempdir().unwrap();
    let target = base.path().join("inbox");
    fs::create_dir(&target).unwrap();

    let listing = session.list(None).await.unwrap();
    let names: Vec<&str> = listing.iter().map(|entry| entry.name.as_str()).collect();
    assert_eq!(names, ["liar.txt", "loop"], "unusable names are dropped");

    let recursive = GetOptions { recursive: true, force: false };
    let run = session.get("/", Some(&target), recursive, &cordvault_peer::session::Quiet);
    let report = tokio::time::timeout(Duration::from_secs(120), run).await.expect("bounded").unwrap();
    assert_eq!(fs::read(target.join("mallory/liar.txt")).unwrap(), b"xxxxx", "read up to the size given");
    assert!(report.failed.iter().any(|(_, reason)| reason.contains("levels")), "{:?}", report.failed);
    // Nothing landed outside the target.
    let outside: Vec<_> = fs::read_dir(base.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(outside, ["inbox"]);
    assert!(!base.path().join("escaped.txt").exists() && !target.join("up.txt").exists());
    let mut depth = 0;
    let mut dir = target.join("mallory");
    while dir.join("loop").is_dir() {
        dir = dir.join("loop");
        depth += 1;
    }
    assert_eq!(depth, cordvault_peer::session::MAX_DEPTH - 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_lets_in_only_the_named_peers() {
    let base = tempfile::tempdir().unwrap();
    let folder = base.path().join("share");
    fs::create_dir(&folder).unwrap();
    let emulator = RunningEmulator::start(EmulatorConfig {
        tokens: vec![TOKEN.into()],
        channels: vec![CHANNEL],
        ..Default::default()
    })
    .await;
    let api = DiscordApi::new(&[TOKEN.to_owned()], Some(emulator.url.clone())).unwrap();
    let channel = AdvertChannel::open(Arc::new(api), &ChannelChoice::Id(CHANNEL)).await.unwrap();
    let share = ShareOptions {
        folder: folder.clone(),
        bind: "127.0.0.1:0".parse().unwrap(),
        advertise: None,
        writable: false,
        dotfiles: false,
        upnp: None,
    };
    let mut options = PeerOptions::new("alice", Some(share));
    options.allow = vec!["carol".into()];
    let identity = Identity::load_or_create(base.path().join("alice")).unwrap();
    let alice = PeerNode::start(identity, channel, options).await.unwrap();
    let bob = node(&emulator, &base.path().join("bob"), "bob", None).await;
    let carol = node(&emulator, &base.path().join("carol"), "carol", None).await;
    alice.refresh().await.unwrap();
    let peer = bob.peer("alice").unwrap();

    let refused = PeerSession::connect(&peer, bob.identity().client_key()).await;
    assert!(
        matches!(refused, Err(PeerError::Sftp(cordvault_sftp::SftpError::AuthRejected { .. }))),
        "bob is live but not allowed"
    );
    let session = PeerSession::connect(&peer, carol.identity().client_key()).await.expect("carol is allowed");
    session.close().await;
    for node in [carol, bob, alice] {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_in_the_allow_file_get_in_without_an_advert() {
    let base = tempfile::tempdir().unwrap();
    let folder = base.path().join("share");
    fs::create_dir(&folder).unwrap();
    fs::write(folder.join("note.txt"), b"for the allow file").unwrap();
    let outsider = HostKey::generate().unwrap();
    let alice_config = base.path().join("alice");
    fs::create_dir(&alice_config).unwrap();
    let allow_line = format!("{}\n", outsider.public_key_openssh());
    fs::write(alice_config.join(cordvault_peer::identity::ALLOW_FILE), allow_line).unwrap();
    let emulator = RunningEmulator::start(EmulatorConfig {
        tokens: vec![TOKEN.into()],
        channels: vec![CHANNEL],
        ..Default::default()
    })
    .await;
    let alice = node(&emulator, &alice_config, "alice", Some(&folder)).await;
    let mut peer = alice.peer("alice").unwrap();
    peer.client_key = outsider.public_key().clone();

    let session = PeerSession::connect(&peer, outsider.private_key()).await.expect("the allow file lets it in");
    assert_eq!(session.list(None).await.unwrap()[0].name, "note.txt");
    session.close().await;
    let stranger = HostKey::generate().unwrap();
    assert!(PeerSession::connect(&peer, stranger.private_key()).await.is_err(), "others still are not");
    alice.shutdown().await;
}
