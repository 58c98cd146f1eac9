//! `cordvault peer` end to end: real `cordvault` processes on the Discord
//! emulator, sharing folders over SFTP, driven through their shell's stdin,
//! signals, `peer list`/`peer get`, and Debian's OpenSSH `sftp`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cordvault_peer::{Advert, Endpoint, unix_now};
use cordvault_sftp::{HostKey, LocalFolder, SftpServer};
use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};
use cordvault_test_support::random_bytes;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

const TOKEN: &str = "peer-test-bot-token";
const CHANNEL: u64 = 1_000_000_000_000_001;
const SECRET: &str = "OUTSIDE-SECRET-5d21";
const DOT_SECRET: &str = "DOTFILE-SECRET-77c0";
const UNICODE_NAME: &str = "ünïcødé 名前 ☃.txt";
const BIG: usize = 200 * 1024 * 1024;

async fn emulator() -> RunningEmulator {
    RunningEmulator::start(EmulatorConfig { tokens: vec![TOKEN.into()], channels: vec![CHANNEL], ..Default::default() })
        .await
}

/// `base/NAME` shared, with a secret file next to it, a dotfile and a
/// symlink pointing out.
fn share(base: &Path, name: &str, big: usize) -> PathBuf {
    let share = base.join(name);
    fs::create_dir_all(share.join("with space/deeper")).unwrap();
    fs::write(share.join("hello.txt"), format!("hello from {name}\n")).unwrap();
    fs::write(share.join(UNICODE_NAME), "ünïcødé ☃\n").unwrap();
    fs::write(share.join("with space/inner file.txt"), "inner\n").unwrap();
    fs::write(share.join("with space/deeper/deep.bin"), random_bytes(70_000, 7)).unwrap();
    fs::write(share.join("empty"), b"").unwrap();
    if big > 0 {
        fs::write(share.join("big.bin"), random_bytes(big, 0x9e37_79b9_7f4a_7c15)).unwrap();
    }
    fs::write(share.join(".secret"), DOT_SECRET).unwrap();
    fs::write(base.join(format!("{name}-secret.txt")), SECRET).unwrap();
    std::os::unix::fs::symlink(base.join(format!("{name}-secret.txt")), share.join("escape-link")).unwrap();
    share
}

/// Every regular file under `root` (not following links), by relative path.
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                files.push((entry.path().strip_prefix(root).unwrap().to_owned(), fs::read(entry.path()).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// The shared tree as a peer should see it: no dotfiles, no links out.
fn visible_tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    tree(root).into_iter().filter(|(path, _)| !path.to_string_lossy().contains(".secret")).collect()
}

/// A `cordvault peer` process with its output collected.
struct PeerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn peer_command(emulator: &RunningEmulator, config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cordvault"));
    command
        .arg("peer")
        .args(args)
        .args(["--bind", "127.0.0.1", "--port", "0"])
        .env("DISCORD_API_BASE", &emulator.url)
        .env("DISCORD_BOT_TOKEN", TOKEN)
        .env("CORDVAULT_PEER_CONFIG", config)
        .kill_on_drop(true);
    command
}

fn collect(stream: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    text
}

impl PeerProcess {
    fn spawn(mut command: Command) -> PeerProcess {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cordvault");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        PeerProcess { stdin: child.stdin.take(), child, stdout, stderr }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    async fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(format!("{line}\n").as_bytes()).await.expect("write to the shell");
        stdin.flush().await.unwrap();
    }

    /// Waits until stdout (or stderr) satisfies `done`, or fails the test.
    async fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&str, &str) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(&self.stdout(), &self.stderr()) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\nstdout:\n{}\nstderr:\n{}",
                self.stdout(),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The SFTP port, from the start-up lines.
    async fn port(&self) -> u16 {
        self.wait_for("the server to start", Duration::from_secs(30), |_, err| err.contains("sharing over SFTP on"))
            .await;
        let stderr = self.stderr();
        let line = stderr.lines().find(|line| line.contains("sharing over SFTP on")).unwrap();
        let address = line.split_whitespace().nth(4).unwrap();
        address.trim_end_matches(',').rsplit(':').next().unwrap().parse().unwrap()
    }

    async fn signal(&self, signal: i32) {
        let pid = self.child.id().expect("running") as i32;
        // SAFETY: kill(2) on a child we spawned and have not reaped.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    async fn exit_status(&mut self) -> std::process::ExitStatus {
        tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.expect("peer did not exit").unwrap()
    }
}

/// How many adverts of `instance` the channel holds, straight from the emulator.
fn adverts_of(emulator: &RunningEmulator, instance: &str) -> usize {
    advert_ids(emulator, instance).len()
}

async fn wait_for_adverts(emulator: &RunningEmulator, instance: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while adverts_of(emulator, instance) != count {
        assert!(Instant::now() < deadline, "{instance} has {} adverts, not {count}", adverts_of(emulator, instance));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `cordvault peer list` from `config`: (instance, fingerprint) pairs, and stderr.
async fn peer_list(emulator: &RunningEmulator, config: &Path) -> (Vec<(String, String)>, String) {
    let output = peer_command(emulator, config, &["list"]).output().await.unwrap();
    assert!(output.status.success(), "peer list: {}", String::from_utf8_lossy(&output.stderr));
    let peers = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 4, "instance address fingerprint age: {line}");
            (fields[0].to_owned(), fields[2].to_owned())
        })
        .collect();
    (peers, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_peers_find_each_other_and_copy_a_tree_through_the_shell() {
    let emulator = emulator().await;
    let base = tempfile::tempdir().unwrap();
    let alice_share = share(base.path(), "alice", BIG);
    let bob_share = share(base.path(), "bob", 0);
    let downloads = base.path().join("downloads");
    fs::create_dir(&downloads).unwrap();

    let started = Instant::now();
    let alice_folder = alice_share.to_str().unwrap();
    let mut alice = PeerProcess::spawn(peer_command(
        &emulator,
        &base.path().join("alice-config"),
        &["--instance", "alice", "--folder", alice_folder],
    ));
    let mut bob_command = peer_command(
        &emulator,
        &base.path().join("bob-config"),
        &["--instance", "bob", "--folder", bob_share.to_str().unwrap()],
    );
    bob_command.current_dir(&downloads);
    let mut bob = PeerProcess::spawn(bob_command);

    // Each finds the other within 15 s (reads every 10 s).
    for (peer, other) in [(&mut alice, "alice\u{0}bob"), (&mut bob, "bob\u{0}alice")] {
        let other = other.split('\0').nth(1).unwrap().to_owned();
        while !peer.stdout().lines().any(|line| line.starts_with(&format!("{other} "))) {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "not found within 15 s\n{}\n{}",
                peer.stdout(),
                peer.stderr()
            );
            peer.send("list_peers").await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    bob.send("connect alice").await;
    bob.wait_for("connected", Duration::from_secs(30), |out, _| out.contains("connected to alice\n")).await;
    bob.send("ls -l").await;
    bob.wait_for("ls -l", Duration::from_secs(30), |out, _| out.contains("with space/")).await;
    assert!(bob.stdout().contains(UNICODE_NAME), "{}", bob.stdout());
    assert!(!bob.stdout().contains(".secret"), "dotfiles are hidden");
    bob.send("cd \"with space\"").await;
    bob.send("pwd").await;
    bob.wait_for("pwd", Duration::from_secs(30), |out, _| out.contains("/with space\n")).await;
    bob.send("ls").await;
    bob.wait_for("ls", Duration::from_secs(30), |out, _| out.contains("inner file.txt\n")).await;
    bob.send("get /.secret").await;
    bob.send("get ../../alice-secret.txt").await;
    bob.send("cd /").await;
    bob.send("get -r / mirror").await;
    bob.wait_for("the recursive get", Duration::from_secs(600), |out, _| out.contains("files downloaded")).await;
    bob.send("get hello.txt mirror").await;
    bob.wait_for("a refused overwrite", Duration::from_secs(30), |_, err| err.contains("use -f to overwrite")).await;
    bob.send("get -f hello.txt mirror").await;
    bob.send("help").await;
    bob.send("disconnect").await;
    bob.send("exit").await;
    assert!(bob.exit_status().await.success(), "{}", bob.stderr());

    let stdout = bob.stdout();
    let stderr = bob.stderr();
    assert!(stderr.matches("no such file").count() >= 2, "dotfile and escape refused: {stderr}");
    for (_, usage, _) in [("get", "get [-r] [-f] <path> [local]", ""), ("ls", "ls [-l] [path]", "")] {
        assert!(stdout.contains(usage), "help shows {usage}");
    }
    assert!(stdout.contains("disconnected from alice"), "{stdout}");
    let mirror = downloads.join("mirror");
    assert_eq!(tree(&mirror), visible_tree(&alice_share), "byte-identical, no dotfile, no escape");
    assert!(!fs::read_dir(&mirror).unwrap().any(|entry| entry.unwrap().file_name() == "escape-link"));
    assert!(!stderr.contains(SECRET) && !stdout.contains(SECRET));
    // Leaving deleted bob's advert; alice leaves through `exit` too.
    wait_for_adverts(&emulator, "bob", 0).await;
    alice.send("exit").await;
    assert!(alice.exit_status().await.success());
    wait_for_adverts(&emulator, "alice", 0).await;
    for message in emulator.emulator.messages() {
        assert!(!message.content.contains("PRIVATE KEY"), "no secret in the channel");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_deletes_the_advert_and_a_killed_peer_goes_stale() {
    let emulator = emulator().await;
    let base = tempfile::tempdir().unwrap();
    let folder = share(base.path(), "shared", 0);
    let folder = folder.to_str().unwrap();
    let start = |instance: &str, extra: &[&str]| {
        let mut args = vec!["--instance", instance, "--folder", folder];
        args.extend(extra);
        PeerProcess::spawn(peer_command(&emulator, &base.path().join(format!("{instance}-config")), &args))
    };

    // SIGTERM, to `peer serve`.
    let mut served = start("served", &["serve"]);
    wait_for_adverts(&emulator, "served", 1).await;
    served.signal(libc::SIGTERM).await;
    assert!(served.exit_status().await.success(), "{}", served.stderr());
    assert_eq!(adverts_of(&emulator, "served"), 0);

    // Ctrl-C (SIGINT) at the shell's prompt.
    let mut shell = start("shell", &[]);
    wait_for_adverts(&emulator, "shell", 1).await;
    shell.wait_for("the prompt", Duration::from_secs(30), |out, _| out.contains("Welcome")).await;
    shell.signal(libc::SIGINT).await;
    assert!(shell.exit_status().await.success(), "{}", shell.stderr());
    assert_eq!(adverts_of(&emulator, "shell"), 0);

    // End of input (Ctrl-D) leaves too, and a client-only peer says so.
    let mut client = start("client", &["--client-only"]);
    wait_for_adverts(&emulator, "client", 1).await;
    client.wait_for("the banner", Duration::from_secs(30), |_, err| err.contains("client only")).await;
    assert!(
        !emulator.emulator.messages().iter().any(|m| m.content.contains("\"instance\":\"client\",\"server\":true"))
    );
    drop(client.stdin.take());
    assert!(client.exit_status().await.success(), "{}", client.stderr());
    assert_eq!(adverts_of(&emulator, "client"), 0);

    // kill -9: the advert stays, and peers drop it once it is 3 minutes old.
    let observer = base.path().join("observer-config");
    let mut killed = start("killed", &["serve"]);
    wait_for_adverts(&emulator, "killed", 1).await;
    killed.signal(libc::SIGKILL).await;
    let _ = killed.exit_status().await;
    let killed_at = Instant::now();
    let (peers, _) = peer_list(&emulator, &observer).await;
    assert!(peers.iter().any(|(instance, _)| instance == "killed"), "{peers:?}");
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let (peers, _) = peer_list(&emulator, &observer).await;
        if !peers.iter().any(|(instance, _)| instance == "killed") {
            break;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(200),
            "still listed {:?} after the kill",
            killed_at.elapsed()
        );
    }
    assert!(killed_at.elapsed() > Duration::from_secs(140), "dropped too early: {:?}", killed_at.elapsed());
    assert_eq!(adverts_of(&emulator, "killed"), 1, "the message itself stays in the channel");

    // The next start of that peer deletes the leftover.
    let leftover = advert_ids(&emulator, "killed");
    let restarted = start("killed", &["serve"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while advert_ids(&emulator, "killed").iter().any(|id| leftover.contains(id)) || adverts_of(&emulator, "killed") != 1
    {
        assert!(Instant::now() < deadline, "leftover not deleted: {}", restarted.stderr());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The message ids of `instance`'s adverts.
fn advert_ids(emulator: &RunningEmulator, instance: &str) -> Vec<u64> {
    let needle = format!("\"instance\":\"{instance}\"");
    emulator.emulator.messages().iter().filter(|m| m.content.contains(&needle)).map(|m| m.message_id).collect()
}

/// Runs OpenSSH's `sftp -b` against a peer's server.
async fn openssh_sftp(port: u16, key: &Path, known_hosts: &Path, workdir: &Path, commands: &str) -> Output {
    let batch = workdir.join(".batch");
    fs::write(&batch, commands).unwrap();
    let mut command = Command::new("sftp");
    command.arg("-b").arg(&batch).args(["-F", "/dev/null", "-P", &port.to_string(), "-i"]).arg(key);
    for option in [
        format!("UserKnownHostsFile={}", known_hosts.display()),
        "GlobalKnownHostsFile=/dev/null".to_owned(),
        "StrictHostKeyChecking=yes".to_owned(),
        "IdentitiesOnly=yes".to_owned(),
        "IdentityAgent=none".to_owned(),
        "BatchMode=yes".to_owned(),
        "ConnectTimeout=20".to_owned(),
    ] {
        command.arg("-o").arg(option);
    }
    command.arg("cordvault@127.0.0.1").current_dir(workdir).env("LC_ALL", "C.UTF-8").kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output()).await.expect("sftp hung").unwrap();
    fs::remove_file(&batch).unwrap();
    output
}

#[tokio::test(flavor = "multi_thread")]
async fn openssh_sftp_connects_with_the_advertised_host_key_and_a_peer_client_key() {
    let emulator = emulator().await;
    let base = tempfile::tempdir().unwrap();
    let folder = share(base.path(), "alice", 0);
    let alice = PeerProcess::spawn(peer_command(
        &emulator,
        &base.path().join("alice-config"),
        &["--instance", "alice", "--folder", folder.to_str().unwrap(), "serve"],
    ));
    let port = alice.port().await;
    // bob announces only a client key; OpenSSH logs in with that key.
    let bob_config = base.path().join("bob-config");
    let _bob =
        PeerProcess::spawn(peer_command(&emulator, &bob_config, &["--instance", "bob", "--client-only", "serve"]));
    wait_for_adverts(&emulator, "bob", 1).await;
    let bob_key = bob_config.join(cordvault_peer::identity::CLIENT_KEY_FILE);

    // known_hosts from alice's advert, as a user would build it.
    let message =
        emulator.emulator.messages().into_iter().find(|m| m.content.contains("\"instance\":\"alice\"")).unwrap();
    let advert = Advert::parse_verified(&message.content, unix_now()).expect("a valid advert");
    let known_hosts = base.path().join("known_hosts");
    fs::write(&known_hosts, format!("[127.0.0.1]:{port} {}\n", advert.host_key_openssh())).unwrap();
    let work = base.path().join("work");
    fs::create_dir(&work).unwrap();

    // alice reads the channel every 10 s; bob's key is let in once she has.
    let deadline = Instant::now() + Duration::from_secs(30);
    let listing = loop {
        let output = openssh_sftp(port, &bob_key, &known_hosts, &work, "ls -1\nget hello.txt\n").await;
        if output.status.success() {
            break output;
        }
        assert!(Instant::now() < deadline, "sftp never let in: {}", String::from_utf8_lossy(&output.stderr));
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(listing.contains("hello.txt") && listing.contains(UNICODE_NAME), "{listing}");
    assert!(!listing.contains(".secret"), "{listing}");
    assert_eq!(fs::read_to_string(work.join("hello.txt")).unwrap(), "hello from alice\n");

    // What the server refuses, with the status sftp shows.
    for (commands, shown) in [
        ("put /etc/hostname\n", "Permission denied"),
        ("get .secret\n", "not found"),
        ("get ../alice-secret.txt\n", "not found"),
        ("get escape-link\n", "not found"),
        ("mkdir new\n", "Permission denied"),
    ] {
        let output = openssh_sftp(port, &bob_key, &known_hosts, &work, commands).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(shown), "{commands}: {stderr}");
    }
    assert!(!work.join("alice-secret.txt").exists() && !work.join("escape-link").exists());
    assert!(!folder.join("hostname").exists());

    // Any other key is refused.
    let stranger = base.path().join("stranger");
    let status =
        Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&stranger).status().await.unwrap();
    assert!(status.success());
    let output = openssh_sftp(port, &stranger, &known_hosts, &work, "ls\n").await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Permission denied"));

    // A wrong known_hosts line: sftp refuses to connect.
    let wrong = base.path().join("wrong_known_hosts");
    let other_key = HostKey::generate().unwrap();
    fs::write(&wrong, format!("[127.0.0.1]:{port} {}\n", other_key.public_key_openssh())).unwrap();
    let output = openssh_sftp(port, &bob_key, &wrong, &work, "ls\n").await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || stderr.contains("Host key verification failed")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn spoofed_broken_and_flooding_adverts_are_never_trusted() {
    let emulator = emulator().await;
    let base = tempfile::tempdir().unwrap();
    let folder = share(base.path(), "alice", 0);
    let alice = PeerProcess::spawn(peer_command(
        &emulator,
        &base.path().join("alice-config"),
        &["--instance", "alice", "--folder", folder.to_str().unwrap(), "serve"],
    ));
    alice.port().await;
    wait_for_adverts(&emulator, "alice", 1).await;
    let observer = base.path().join("observer-config");
    let (peers, _) = peer_list(&emulator, &observer).await;
    let real = peers.iter().find(|(instance, _)| instance == "alice").expect("alice listed").1.clone();

    // An impostor's server, which records whoever connects to it.
    let impostor_key = HostKey::generate().unwrap();
    let impostor_folder = base.path().join("impostor");
    fs::create_dir(&impostor_folder).unwrap();
    fs::write(impostor_folder.join("hello.txt"), "PLANTED\n").unwrap();
    let knocked = Arc::new(Mutex::new(0usize));
    let count = Arc::clone(&knocked);
    let authorizer = move |_: &str, _: &cordvault_sftp::PublicKey| {
        *count.lock().unwrap() += 1;
        true
    };
    let impostor =
        SftpServer::builder(LocalFolder::new(&impostor_folder).unwrap(), impostor_key.clone(), authorizer).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let impostor_port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { impostor.serve(listener).await });
    let client = HostKey::generate().unwrap();
    let spoof = Advert::new(
        "alice",
        Some(Endpoint { address: "127.0.0.1".into(), port: impostor_port }),
        impostor_key.public_key(),
        client.public_key(),
        unix_now(),
    )
    .unwrap()
    .to_message(impostor_key.private_key())
    .unwrap();
    let attacker = 4242;
    emulator.emulator.insert_message(CHANNEL, attacker, &spoof);
    // A copy of alice's real advert pointing elsewhere: the signature breaks.
    let genuine =
        emulator.emulator.messages().into_iter().find(|m| m.content.contains("\"instance\":\"alice\"")).unwrap();
    let tampered = genuine.content.replacen("\"address\":\"127.0.0.1\"", "\"address\":\"127.0.0.2\"", 1);
    assert_ne!(tampered, genuine.content);
    emulator.emulator.insert_message(CHANNEL, attacker, &tampered);
    emulator.emulator.insert_message(CHANNEL, attacker, "cordvault-peer/1 {\"v\":1,\"instance\":\"alice\",");
    emulator.emulator.insert_message(CHANNEL, attacker, &format!("cordvault-peer/1 {}", "x".repeat(100_000)));

    let (peers, stderr) = peer_list(&emulator, &observer).await;
    assert_eq!(peers, [("alice".to_owned(), real.clone())], "only the pinned alice: {stderr}");
    assert!(stderr.contains("ignored"), "a visible warning about the changed key: {stderr}");

    // A flood of 500 (spoofs and garbage) pushes alice's advert out of
    // the recent history; she posts it again and discovery carries on.
    for index in 0..500 {
        let content = if index % 2 == 0 { spoof.clone() } else { format!("cordvault-peer/1 garbage {index}") };
        emulator.emulator.insert_message(CHANNEL, attacker, &content);
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let (peers, _) = peer_list(&emulator, &observer).await;
        assert!(peers.iter().all(|(_, fingerprint)| *fingerprint == real), "{peers:?}");
        if peers.len() == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "alice did not come back after the flood");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }

    // Downloading from "alice" reaches the real one.
    let downloads = base.path().join("downloads");
    fs::create_dir(&downloads).unwrap();
    let output = peer_command(&emulator, &observer, &["--instance", "observer", "get", "alice:/hello.txt"])
        .current_dir(&downloads)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(fs::read_to_string(downloads.join("hello.txt")).unwrap(), "hello from alice\n");
    assert_eq!(*knocked.lock().unwrap(), 0, "nobody connected to the impostor");
}

#[tokio::test]
async fn a_bot_without_the_message_content_intent_is_told_how_to_fix_it() {
    let config = EmulatorConfig {
        tokens: vec![TOKEN.into()],
        channels: vec![CHANNEL],
        message_content_intent: false,
        ..Default::default()
    };
    let blind = RunningEmulator::start(config).await;
    let base = tempfile::tempdir().unwrap();
    let output = peer_command(&blind, &base.path().join("config"), &["--instance", "alice", "--client-only", "serve"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Message Content Intent"), "{stderr}");
    assert_eq!(adverts_of(&blind, "alice"), 0, "nothing posted");

    // A channel name the bot cannot find, and a token Discord refuses.
    let emulator = emulator().await;
    let output =
        peer_command(&emulator, &base.path().join("config"), &["--channel", "nowhere", "list"]).output().await.unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no text channel named #nowhere"));
    let output = peer_command(&emulator, &base.path().join("config"), &["list"])
        .env("DISCORD_BOT_TOKEN", "not-the-token")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("not-the-token"), "the token never reaches the output");
}
