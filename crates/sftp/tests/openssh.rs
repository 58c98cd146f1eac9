//! End-to-end tests against real clients: Debian's OpenSSH `sftp`/`ssh`
//! (openssh-client, installed by `.ci/install`) and russh's client through
//! `cordvault_sftp::client`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use cordvault_sftp::{AuthorizedKeys, HostKey, Limits, LocalFolder, PrivateKey, SftpError, SftpServer, ShutdownHandle};
use cordvault_test_support::random_bytes;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

const SPACED_NAME: &str = "name with spaces ünïcødé ☃.txt";
const SECRET: &str = "OUTSIDE-SECRET-4f1c";
const DOT_SECRET: &str = "DOTFILE-SECRET-9a2e";
const MANY: usize = 1200;
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Fails (never skips) when OpenSSH's client tools are missing.
fn require_openssh() {
    for tool in ["sftp", "ssh", "ssh-keygen"] {
        let found = std::env::var_os("PATH")
            .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
            .unwrap_or(false);
        assert!(
            found,
            "`{tool}` not found: these tests drive the real OpenSSH client. Install it with \
             `.ci/install` or `apt-get install -y --no-install-recommends openssh-client`."
        );
    }
}

fn many_name(index: usize) -> String {
    let name = format!("entry-{index:04}-");
    format!("{name}{}", "x".repeat(100 - name.len()))
}

async fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path)
        .status()
        .await
        .expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
}

/// `base/share` is shared; `base/secret.txt` sits next to it.
struct Fixture {
    base: tempfile::TempDir,
    client_key: PathBuf,
    stranger_key: PathBuf,
}

impl Fixture {
    async fn new() -> Self {
        require_openssh();
        let base = tempfile::tempdir().expect("tempdir");
        let share = base.path().join("share");
        fs::create_dir_all(share.join("sub/deeper")).expect("mkdir");
        fs::create_dir(share.join("many")).expect("mkdir");
        fs::write(share.join("hello.txt"), b"hello over sftp\n").expect("write");
        fs::write(share.join(SPACED_NAME), "spaces and ☃\n").expect("write");
        fs::write(share.join("big.bin"), random_bytes(3 * 1024 * 1024, 0x9e37_79b9_7f4a_7c15)).expect("write");
        fs::write(share.join("sub/nested.txt"), b"nested\n").expect("write");
        fs::write(share.join("sub/deeper/deep.bin"), random_bytes(70_000, 7)).expect("write");
        for index in 0..MANY {
            fs::write(share.join("many").join(many_name(index)), format!("{index}\n")).expect("write");
        }
        fs::write(share.join(".dotfile"), DOT_SECRET).expect("write");
        fs::write(base.path().join("secret.txt"), SECRET).expect("write");
        std::os::unix::fs::symlink(base.path().join("secret.txt"), share.join("escape-link")).expect("symlink");
        fs::create_dir(base.path().join("keys")).expect("mkdir");
        let client_key = base.path().join("keys/client");
        let stranger_key = base.path().join("keys/stranger");
        keygen(&client_key).await;
        keygen(&stranger_key).await;
        Self { base, client_key, stranger_key }
    }

    fn share(&self) -> PathBuf {
        self.base.path().join("share")
    }

    /// A new local directory for a client to work in.
    fn local_dir(&self, name: &str) -> PathBuf {
        let dir = self.base.path().join(name);
        fs::create_dir(&dir).expect("mkdir");
        dir
    }

    async fn start(&self, writable: bool) -> Running {
        self.start_with(writable, Limits::default()).await
    }

    async fn start_with(&self, writable: bool, limits: Limits) -> Running {
        let host_key = HostKey::load_or_create(self.base.path().join("host_key")).expect("host key");
        let allowed = AuthorizedKeys::load(self.client_key.with_extension("pub")).expect("authorized keys");
        assert_eq!(allowed.len(), 1);
        let folder = LocalFolder::new(self.share()).expect("share").writable(writable);
        let server = SftpServer::builder(folder, host_key, allowed).limits(limits).build();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let known_hosts = self.base.path().join(format!("known_hosts-{port}"));
        let line = format!("[127.0.0.1]:{port} {}\n", server.host_key().public_key_openssh());
        fs::write(&known_hosts, line).expect("known_hosts");
        let fingerprint = server.host_key().fingerprint();
        let shutdown = server.shutdown_handle();
        let serving = tokio::spawn(async move { server.serve(listener).await });
        Running { port, known_hosts, fingerprint, shutdown, serving }
    }
}

struct Running {
    port: u16,
    known_hosts: PathBuf,
    fingerprint: String,
    shutdown: ShutdownHandle,
    serving: tokio::task::JoinHandle<()>,
}

impl Running {
    fn ssh_options(&self, key: &Path, known_hosts: &Path) -> Vec<String> {
        let mut options = Vec::new();
        for option in [
            format!("UserKnownHostsFile={}", known_hosts.display()),
            "GlobalKnownHostsFile=/dev/null".to_owned(),
            "StrictHostKeyChecking=yes".to_owned(),
            "IdentitiesOnly=yes".to_owned(),
            "IdentityAgent=none".to_owned(),
            "BatchMode=yes".to_owned(),
            "PasswordAuthentication=no".to_owned(),
            "KbdInteractiveAuthentication=no".to_owned(),
            "ConnectTimeout=20".to_owned(),
        ] {
            options.push("-o".to_owned());
            options.push(option);
        }
        options.extend(["-F".to_owned(), "/dev/null".to_owned(), "-i".to_owned(), key.display().to_string()]);
        options
    }

    /// Runs `sftp -b` with `commands` in `workdir`.
    async fn sftp(&self, key: &Path, known_hosts: &Path, workdir: &Path, commands: &str) -> Output {
        let batch = workdir.join(".batch");
        fs::write(&batch, commands).expect("batch file");
        let mut command = Command::new("sftp");
        command
            .arg("-b")
            .arg(&batch)
            .args(self.ssh_options(key, known_hosts))
            .arg("-P")
            .arg(self.port.to_string())
            .arg("tester@127.0.0.1")
            .current_dir(workdir)
            // sftp escapes non-ASCII names in its output unless the locale is UTF-8.
            .env("LC_ALL", "C.UTF-8")
            .kill_on_drop(true);
        let output =
            tokio::time::timeout(CLIENT_TIMEOUT, command.output()).await.expect("sftp hung").expect("run sftp");
        fs::remove_file(&batch).expect("remove batch");
        output
    }

    async fn stop(self) {
        self.shutdown.shutdown();
        tokio::time::timeout(Duration::from_secs(10), self.serving)
            .await
            .expect("serve did not return after shutdown")
            .expect("serve panicked");
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[track_caller]
fn assert_refused(output: &Output, what: &str, message: &str) {
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{what} unexpectedly succeeded\nstdout:\n{}", text(&output.stdout));
    assert!(stderr.contains(message), "{what}: expected {message:?} in stderr:\n{stderr}");
}

/// No file under `dir` contains either secret.
fn assert_no_secrets(dir: &Path) {
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            assert_no_secrets(&path);
        } else {
            let content = fs::read(&path).unwrap_or_default();
            let content = text(&content);
            assert!(!content.contains(SECRET) && !content.contains(DOT_SECRET), "secret leaked into {path:?}");
        }
    }
}

fn assert_same_tree(expected: &Path, actual: &Path) {
    let mut count = 0;
    for entry in fs::read_dir(expected).expect("read dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let (from, to) = (entry.path(), actual.join(&name));
        if from.is_dir() {
            assert_same_tree(&from, &to);
        } else {
            assert_eq!(fs::read(&from).expect("source"), fs::read(&to).unwrap_or_default(), "{to:?} differs");
        }
        count += 1;
    }
    assert_eq!(fs::read_dir(actual).expect("read copy").count(), count, "{actual:?} has extra entries");
}

/// OpenSSH keeps 64 reads of 255 KiB in flight and adjusts its window
/// every ~96 KiB: a server whose session loop stops reading the socket while
/// a reply waits for window deadlocks (it did, after ~28 MiB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_downloads_a_large_file_without_stalling() {
    let fixture = Fixture::new().await;
    let large = random_bytes(160 * 1024 * 1024, 0x5eed);
    fs::write(fixture.share().join("large.bin"), &large).expect("write");
    let server = fixture.start(false).await;
    let downloads = fixture.local_dir("downloads");
    let output = server
        .sftp(&fixture.client_key, &server.known_hosts, &downloads, "get large.bin\nget large.bin again.bin\n")
        .await;
    assert_success(&output, "downloading 160 MiB twice");
    for name in ["large.bin", "again.bin"] {
        assert!(fs::read(downloads.join(name)).expect("downloaded") == large, "{name} differs");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_lists_and_downloads_everything_shared() {
    let fixture = Fixture::new().await;
    let server = fixture.start(false).await;
    let downloads = fixture.local_dir("downloads");
    let batch = format!(
        "ls -l\nls -1 many\nget hello.txt\nget \"{SPACED_NAME}\"\nget big.bin\nget -r sub\nget -r many\nls -l sub\n"
    );
    let output = server.sftp(&fixture.client_key, &server.known_hosts, &downloads, &batch).await;
    assert_success(&output, "listing and downloading");
    let stdout = text(&output.stdout);

    assert!(stdout.contains(SPACED_NAME), "ls -l shows the unicode name:\n{stdout}");
    assert!(stdout.contains("big.bin") && stdout.contains("3145728"), "ls -l shows sizes");
    assert!(!stdout.contains(".dotfile"), "dotfile listed:\n{stdout}");
    assert!(!stdout.contains("escape-link"), "escaping symlink listed:\n{stdout}");
    let names: std::collections::HashSet<String> = (0..MANY).map(many_name).collect();
    let listed = stdout.lines().filter(|line| names.contains(line.trim().trim_start_matches("many/"))).count();
    assert_eq!(listed, MANY, "`ls -1 many` lists every entry");
    // Read-only: no write bits shown.
    let hello = stdout.lines().find(|line| line.ends_with("hello.txt")).expect("hello.txt in ls -l");
    assert!(hello.starts_with("-r--r--r--"), "read-only permissions: {hello}");

    for name in ["hello.txt", SPACED_NAME, "big.bin"] {
        assert_eq!(
            fs::read(fixture.share().join(name)).expect("source"),
            fs::read(downloads.join(name)).expect("downloaded"),
            "{name} differs"
        );
    }
    assert_same_tree(&fixture.share().join("sub"), &downloads.join("sub"));
    assert_same_tree(&fixture.share().join("many"), &downloads.join("many"));
    assert_no_secrets(&downloads);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_cannot_escape_or_see_dotfiles_or_write_read_only() {
    let fixture = Fixture::new().await;
    let server = fixture.start(false).await;
    let work = fixture.local_dir("work");
    fs::write(work.join("upload.txt"), b"should not arrive").expect("write");

    for (remote, what) in [
        ("../secret.txt", "get ../secret.txt"),
        ("/../secret.txt", "get /../secret.txt"),
        ("sub/../../secret.txt", "get sub/../../secret.txt"),
        ("escape-link", "get of the symlink leading outside"),
        (".dotfile", "get of the dotfile"),
    ] {
        let output = server.sftp(&fixture.client_key, &server.known_hosts, &work, &format!("get {remote}\n")).await;
        assert_refused(&output, what, "not found");
    }
    let output = server.sftp(&fixture.client_key, &server.known_hosts, &work, "ls -la\n").await;
    assert_success(&output, "ls -la");
    assert!(!text(&output.stdout).contains(".dotfile"), "ls -la lists the dotfile");

    let output = server.sftp(&fixture.client_key, &server.known_hosts, &work, "put upload.txt\n").await;
    assert_refused(&output, "put on a read-only share", "Permission denied");
    let output = server.sftp(&fixture.client_key, &server.known_hosts, &work, "mkdir newdir\n").await;
    assert_refused(&output, "mkdir on a read-only share", "Permission denied");
    let output = server.sftp(&fixture.client_key, &server.known_hosts, &work, "rm hello.txt\n").await;
    assert_refused(&output, "rm on a read-only share", "Permission denied");

    // Every refusal was a status reply: the same connection goes on working.
    let output = server
        .sftp(&fixture.client_key, &server.known_hosts, &work, "-get ../secret.txt\n-put upload.txt\nget hello.txt\n")
        .await;
    assert_success(&output, "get after refusals on one connection");
    assert_eq!(fs::read(work.join("hello.txt")).expect("hello"), b"hello over sftp\n");

    assert!(!fixture.share().join("upload.txt").exists(), "upload arrived on a read-only share");
    assert!(!fixture.share().join("newdir").exists());
    assert!(fixture.share().join("hello.txt").exists());
    assert!(!work.join("secret.txt").exists() && !work.join("escape-link").exists() && !work.join(".dotfile").exists());
    assert_no_secrets(&work);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_uploads_to_a_writable_share() {
    let fixture = Fixture::new().await;
    let server = fixture.start(true).await;
    let work = fixture.local_dir("work");
    let upload = random_bytes(1_500_000, 42);
    fs::write(work.join("upload.bin"), &upload).expect("write");
    fs::write(work.join("small file.txt"), b"small").expect("write");
    let batch = "put upload.bin\nmkdir incoming\nput \"small file.txt\" incoming/\n\
                 rename \"incoming/small file.txt\" incoming/renamed.txt\nls -l incoming\n\
                 -put upload.bin ../outside.bin\n-put upload.bin .sneaky\n";
    let output = server.sftp(&fixture.client_key, &server.known_hosts, &work, batch).await;
    assert_success(&output, "uploads");
    assert_eq!(fs::read(fixture.share().join("upload.bin")).expect("uploaded"), upload);
    assert_eq!(fs::read(fixture.share().join("incoming/renamed.txt")).expect("renamed"), b"small");
    // `..` is clamped at the share's root; dotfiles stay refused.
    assert!(!fixture.base.path().join("outside.bin").exists(), "upload escaped the share");
    assert!(!fixture.share().join(".sneaky").exists(), "dotfile created");

    let output = server.sftp(&fixture.client_key, &server.known_hosts, &work, "get .dotfile\n").await;
    assert_refused(&output, "get of the dotfile on a writable share", "not found");
    let output = server.sftp(&fixture.client_key, &server.known_hosts, &work, "put upload.bin escape-link\n").await;
    assert!(!output.status.success(), "writing through the escaping symlink succeeded");
    assert_eq!(fs::read_to_string(fixture.base.path().join("secret.txt")).expect("secret"), SECRET);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_refuses_keys_and_hosts_it_should() {
    let fixture = Fixture::new().await;
    let server = fixture.start(false).await;
    let work = fixture.local_dir("work");

    let output = server.sftp(&fixture.stranger_key, &server.known_hosts, &work, "ls\n").await;
    assert_refused(&output, "login with a key the authoriser does not allow", "Permission denied (publickey)");

    // The client pins a different key for this host: it must refuse to go on.
    let impostor = HostKey::generate().expect("key");
    let wrong_known_hosts = work.join("wrong_known_hosts");
    fs::write(&wrong_known_hosts, format!("[127.0.0.1]:{} {}\n", server.port, impostor.public_key_openssh()))
        .expect("known_hosts");
    let output = server.sftp(&fixture.client_key, &wrong_known_hosts, &work, "get hello.txt\n").await;
    assert_refused(&output, "connecting despite a changed host key", "Host key verification failed");
    assert!(!work.join("hello.txt").exists());

    // exec is answered and the channel closed, rather than left hanging.
    let mut ssh = Command::new("ssh");
    ssh.args(server.ssh_options(&fixture.client_key, &server.known_hosts))
        .arg("-p")
        .arg(server.port.to_string())
        .args(["-T", "tester@127.0.0.1", "echo", "should-not-run"])
        .kill_on_drop(true);
    let output = tokio::time::timeout(CLIENT_TIMEOUT, ssh.output()).await.expect("ssh exec hung").expect("run ssh");
    assert!(!output.status.success(), "exec succeeded");
    assert!(!text(&output.stdout).contains("should-not-run"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_key_is_stable_across_restarts() {
    let fixture = Fixture::new().await;
    let first = fixture.start(false).await;
    let fingerprint = first.fingerprint.clone();
    first.stop().await;
    let second = fixture.start(false).await;
    assert_eq!(second.fingerprint, fingerprint);
    // The old known_hosts line (other port aside) still matches.
    let work = fixture.local_dir("work");
    let output = second.sftp(&fixture.client_key, &second.known_hosts, &work, "get hello.txt\n").await;
    assert_success(&output, "get after restart");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn russh_client_pins_the_host_key_and_reads() {
    let fixture = Fixture::new().await;
    let server = fixture.start(false).await;
    let address = format!("127.0.0.1:{}", server.port);
    let client_key =
        PrivateKey::from_openssh(fs::read_to_string(&fixture.client_key).expect("key")).expect("parse client key");

    let session = cordvault_sftp::client::connect(&address, &client_key, &server.fingerprint).await.expect("connect");
    assert_eq!(session.read("hello.txt").await.expect("read"), b"hello over sftp\n");
    let big = session.read("/big.bin").await.expect("read big");
    assert_eq!(big, fs::read(fixture.share().join("big.bin")).expect("source"));
    let names: Vec<String> =
        session.read_dir("/many").await.expect("read_dir").map(|entry| entry.file_name()).collect();
    assert_eq!(names.len(), MANY);
    assert!(session.read("../secret.txt").await.is_err());
    assert!(session.read("escape-link").await.is_err());
    assert!(session.create("new.txt").await.is_err(), "create on a read-only share");
    drop(session);

    let wrong = HostKey::generate().expect("key").fingerprint();
    match cordvault_sftp::client::connect(&address, &client_key, &wrong).await {
        Err(SftpError::HostKeyMismatch { expected, actual }) => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, server.fingerprint);
        }
        other => panic!("expected a host key mismatch, got {:?}", other.err()),
    }

    let stranger =
        PrivateKey::from_openssh(fs::read_to_string(&fixture.stranger_key).expect("key")).expect("parse stranger key");
    match cordvault_sftp::client::connect(&address, &stranger, &server.fingerprint).await {
        Err(SftpError::AuthRejected { .. }) => {}
        other => panic!("expected an authentication refusal, got {:?}", other.err()),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_closed() {
    let fixture = Fixture::new().await;
    let limits = Limits { max_connections: 1, ..Limits::default() };
    let server = fixture.start_with(false, limits).await;
    let address = format!("127.0.0.1:{}", server.port);

    let mut first = TcpStream::connect(&address).await.expect("connect");
    let mut banner = [0u8; 64];
    let read =
        tokio::time::timeout(Duration::from_secs(10), first.read(&mut banner)).await.expect("banner").expect("read");
    let banner = text(&banner[..read]);
    assert!(banner.starts_with("SSH-2.0-cordvault"), "banner: {banner:?}");
    assert!(!banner.contains("russh"), "banner exposes the library: {banner:?}");

    let mut second = TcpStream::connect(&address).await.expect("connect");
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), second.read(&mut buffer))
        .await
        .expect("second connection left open")
        .unwrap_or(0);
    assert_eq!(read, 0, "second connection was served");
    drop(first);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_idle_connections_are_dropped() {
    let fixture = Fixture::new().await;
    let limits =
        Limits { login_grace: Duration::from_secs(1), idle_timeout: Duration::from_secs(2), ..Limits::default() };
    let server = fixture.start_with(false, limits).await;
    let address = format!("127.0.0.1:{}", server.port);

    // Never says hello: closed after the login grace, not the idle timeout.
    let mut silent = TcpStream::connect(&address).await.expect("connect");
    let mut buffer = [0u8; 256];
    let mut received = 0;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match silent.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received += n,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "silent connection kept open");
    assert!(received > 0, "the server sent its banner first");

    // Authenticated, then idle past the timeout: the connection is gone.
    let client_key =
        PrivateKey::from_openssh(fs::read_to_string(&fixture.client_key).expect("key")).expect("parse client key");
    let session = cordvault_sftp::client::connect(&address, &client_key, &server.fingerprint).await.expect("connect");
    assert!(session.read("hello.txt").await.is_ok());
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(session.read("hello.txt").await.is_err(), "idle connection still served");
    server.stop().await;
}
