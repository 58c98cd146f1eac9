//! Issue 16's speed target: `get` of a large file between two peers on
//! loopback, side by side with OpenSSH's `sftp` against OpenSSH's own
//! server, on the same file and the same disk. Target: at least as fast as
//! OpenSSH.
//!
//! ```text
//! cargo build --release -p cordvault-peer --example peer_get_bench
//! target/release/examples/peer_get_bench [SIZE_MIB=1024] [ROUNDS=3]
//! ```
//!
//! Three lines are measured, each for ROUNDS rounds:
//!
//! 1. cordvault → cordvault: bob (client-only) gets the file from alice's
//!    share, both peers in this process, found through an in-process Discord
//!    emulator as in real use.
//! 2. OpenSSH → OpenSSH: `sftp` against `sshd` with `internal-sftp`, on a
//!    free loopback port (skipped, with a hint, when sshd is not installed).
//! 3. OpenSSH → cordvault: `sftp` against alice's server with bob's client
//!    key, which separates the server's speed from the client's.
//!
//! Every round's time covers what a user waits for: connecting (SSH
//! handshake and authentication) plus the transfer. cordvault's `get` ends
//! with an fsync of the downloaded file; OpenSSH's `sftp` does not, so for a
//! like-for-like figure its rounds are also shown with an fsync of the
//! result timed after `sftp` exits. Reads come from the page cache (the
//! source is written just before), writes go to the same filesystem.
//!
//! Peak RSS and CPU time: for the in-process peers, this process's VmHWM
//! (reset before every round through /proc/self/clear_refs) and its CPU time,
//! which hold both alice and bob (and the idle emulator); for the OpenSSH
//! client, wait4's figures for `sftp` and the `ssh` it runs (max RSS of the
//! larger, CPU of both); for sshd's session processes, a sample of /proc
//! every 10 ms. Before the timed rounds `sftp -vvv` logs in once, untimed, to
//! print the cipher and read size it negotiates with each server.
//!
//! A round that makes no progress for 15 s is reported as STALLED and the
//! rest of its line skipped, so a deadlock shows instead of hanging the run.
//! `PEER_GET_BENCH_SFTP_ARGS` adds `sftp` options to both OpenSSH lines, say
//! `-R 48` (requests in flight) or `-B 32768` (read size).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cordvault_peer::identity::CLIENT_KEY_FILE;
use cordvault_peer::session::Progress;
use cordvault_peer::{
    AdvertChannel, ChannelChoice, GetOptions, Identity, Peer, PeerNode, PeerOptions, PeerSession, ShareOptions,
};
use cordvault_store::DiscordApi;
use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};

const TOKEN: &str = "peer-get-bench-token";
const CHANNEL: u64 = 1_000_000_000_000_001;
const FILE_NAME: &str = "big.bin";
const MIB: u64 = 1024 * 1024;
/// How long the peers may take to see each other's adverts.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long sshd may take to listen.
const SSHD_START_TIMEOUT: Duration = Duration::from_secs(10);
/// A transfer that makes no progress for this long is stuck (a deadlock,
/// not slowness: at loopback speed 15 s is thousands of replies).
const STALL_AFTER: Duration = Duration::from_secs(15);
/// Extra `sftp` options, split on whitespace (say `-R 16` or `-B 32768`),
/// to see how its read size and request count change the picture.
const SFTP_ARGS_VAR: &str = "PEER_GET_BENCH_SFTP_ARGS";

/// One round of one line.
struct Round {
    /// Connect + transfer, as the user waits for it (cordvault's includes its fsync).
    seconds: f64,
    /// Part of `seconds` spent connecting, where it can be told apart.
    connect: Option<f64>,
    /// The fsync of the result timed after a client that does not do it itself.
    fsync_after: Option<f64>,
    /// (whose, KiB)
    peak_rss: Vec<(&'static str, u64)>,
    /// (whose, seconds of user + system time)
    cpu: Vec<(&'static str, f64)>,
}

impl Round {
    /// Seconds with the result on disk, as cordvault's `get` leaves it.
    fn durable_seconds(&self) -> f64 {
        self.seconds + self.fsync_after.unwrap_or(0.0)
    }
}

struct Line {
    name: &'static str,
    rounds: Vec<Round>,
    /// What the client negotiated (cipher, read size), when it tells.
    notes: Vec<String>,
    /// Why the line stopped early: a round stalled.
    stalled: Option<String>,
}

#[tokio::main]
async fn main() {
    let (size_mib, rounds) = parse_args();
    let size = size_mib * MIB;
    let work = tempfile::tempdir().expect("a temporary directory could not be created");
    let share = work.path().join("share");
    let downloads = work.path().join("downloads");
    for dir in [&share, &downloads] {
        std::fs::create_dir(dir).unwrap_or_else(|err| panic!("creating {}: {err}", dir.display()));
    }
    let source = share.join(FILE_NAME);
    let target = downloads.join(FILE_NAME);

    println!("peer_get_bench: {size_mib} MiB, {rounds} round(s) per line, files under {}", work.path().display());
    let started = Instant::now();
    write_pseudo_random(&source, size);
    sync_disks();
    println!("source written in {:.1} s", started.elapsed().as_secs_f64());

    let peers = Peers::start(work.path(), &share).await;
    let mut lines = Vec::new();

    lines.push(bench_cordvault(&peers, &source, &target, rounds).await);

    let sftp = find_program("sftp");
    match (find_program("sshd"), find_program("ssh-keygen"), &sftp) {
        (Some(sshd), Some(keygen), Some(sftp)) => {
            lines.push(bench_openssh(&sshd, &keygen, sftp, work.path(), &source, &target, rounds));
        }
        _ => println!(
            "\nOpenSSH → OpenSSH skipped: sshd, ssh-keygen or sftp not found. Install them with\n  \
             apt-get install -y --no-install-recommends openssh-server openssh-client"
        ),
    }
    match &sftp {
        Some(sftp) => lines.push(bench_sftp_to_alice(&peers, sftp, work.path(), &source, &target, rounds)),
        None => println!("\nOpenSSH → cordvault skipped: sftp not found (apt-get install openssh-client)"),
    }

    summary(&lines, size);
    peers.alice.shutdown().await;
    peers.bob.shutdown().await;
}

fn parse_args() -> (u64, usize) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "-h" || arg == "--help") || args.len() > 2 {
        eprintln!("usage: peer_get_bench [SIZE_MIB=1024] [ROUNDS=3]");
        std::process::exit(2);
    }
    let size_mib = args.first().map_or(1024, |arg| arg.parse().expect("SIZE_MIB must be a whole number of MiB"));
    let rounds = args.get(1).map_or(3, |arg| arg.parse().expect("ROUNDS must be a whole number"));
    assert!(size_mib > 0 && rounds > 0, "SIZE_MIB and ROUNDS must be at least 1");
    (size_mib, rounds)
}

/// xorshift64 bytes: incompressible and never repeating within the file, so
/// neither compression nor deduplication anywhere can flatter a result.
fn write_pseudo_random(path: &Path, size: u64) {
    let mut file = File::create(path).unwrap_or_else(|err| panic!("creating {}: {err}", path.display()));
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut chunk = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let len = usize::try_from(left.min(MIB)).expect("a chunk fits in memory");
        file.write_all(&chunk[..len]).unwrap_or_else(|err| panic!("writing {}: {err}", path.display()));
        left -= len as u64;
    }
}

/// Writes out dirty pages, so that a round does not pay for the previous
/// round's (or the source's) writeback.
fn sync_disks() {
    let _ = Command::new("sync").status();
}

/// Panics unless `copy` holds exactly the bytes of `original`.
fn verify(original: &Path, copy: &Path) {
    let open = |path: &Path| File::open(path).unwrap_or_else(|err| panic!("opening {}: {err}", path.display()));
    let (mut a, mut b) = (open(original), open(copy));
    let size = a.metadata().expect("source metadata").len();
    let copied = b.metadata().expect("download metadata").len();
    assert_eq!(copied, size, "{} has {copied} bytes, the source {size}", copy.display());
    let (mut x, mut y) = (vec![0u8; MIB as usize], vec![0u8; MIB as usize]);
    let mut offset = 0u64;
    while offset < size {
        let len = usize::try_from((size - offset).min(MIB)).expect("a chunk fits in memory");
        a.read_exact(&mut x[..len]).expect("reading the source");
        b.read_exact(&mut y[..len]).expect("reading the download");
        if x[..len] != y[..len] {
            let at = x[..len].iter().zip(&y[..len]).position(|(p, q)| p != q).unwrap_or(0) as u64;
            panic!("{} differs from the source at byte {}", copy.display(), offset + at);
        }
        offset += len as u64;
    }
}

fn remove_if_present(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => panic!("removing {}: {err}", path.display()),
    }
}

/// alice shares the folder, bob is client-only; both are found through the
/// emulator, as real peers find each other through Discord.
struct Peers {
    _emulator: RunningEmulator,
    alice: PeerNode,
    bob: PeerNode,
    /// alice as bob sees her: address and pinned host key.
    alice_for_bob: Peer,
}

impl Peers {
    async fn start(base: &Path, share: &Path) -> Peers {
        let emulator = RunningEmulator::start(EmulatorConfig {
            tokens: vec![TOKEN.into()],
            channels: vec![CHANNEL],
            ..Default::default()
        })
        .await;
        let share = ShareOptions {
            folder: share.to_owned(),
            bind: "127.0.0.1:0".parse().expect("a valid socket address"),
            advertise: None,
            writable: false,
            dotfiles: false,
            upnp: None,
        };
        let alice = start_node(&emulator, &base.join("alice"), "alice", Some(share)).await;
        let bob = start_node(&emulator, &base.join("bob"), "bob", None).await;
        // alice's server lets in only the client keys of live peers whose
        // adverts she has read, so she must see bob before he connects.
        let deadline = Instant::now() + DISCOVERY_TIMEOUT;
        let alice_for_bob = loop {
            if let (Ok(peer), Ok(_)) = (bob.peer("alice"), alice.peer("bob")) {
                break peer;
            }
            assert!(Instant::now() < deadline, "the peers did not see each other within {DISCOVERY_TIMEOUT:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
            alice.refresh().await.expect("alice reads the channel");
            bob.refresh().await.expect("bob reads the channel");
        };
        Peers { _emulator: emulator, alice, bob, alice_for_bob }
    }
}

async fn start_node(
    emulator: &RunningEmulator,
    config: &Path,
    instance: &str,
    share: Option<ShareOptions>,
) -> PeerNode {
    let api = DiscordApi::new(&[TOKEN.to_owned()], Some(emulator.url.clone())).expect("the Discord API client");
    let channel =
        AdvertChannel::open(Arc::new(api), &ChannelChoice::Id(CHANNEL)).await.expect("the emulator's channel opens");
    let identity = Identity::load_or_create(config).expect("a peer identity in the temporary directory");
    PeerNode::start(identity, channel, PeerOptions::new(instance, share))
        .await
        .unwrap_or_else(|err| panic!("peer {instance} did not start: {err}"))
}

async fn bench_cordvault(peers: &Peers, source: &Path, target: &Path, rounds: usize) -> Line {
    let name = "cordvault → cordvault";
    println!("\n{name} (bob gets from alice; connect + get, get includes its fsync)");
    let mut line = Line { name, rounds: Vec::new(), notes: Vec::new(), stalled: None };
    for round in 1..=rounds {
        remove_if_present(target);
        sync_disks();
        let rss_reset = reset_own_peak_rss();
        let cpu_before = own_cpu_seconds();
        let started = Instant::now();
        let session = PeerSession::connect(&peers.alice_for_bob, peers.bob.identity().client_key())
            .await
            .expect("bob connects to alice");
        let connect = started.elapsed().as_secs_f64();
        let progress = Counter::default();
        let remote = format!("/{FILE_NAME}");
        let get = session.get(&remote, Some(target), GetOptions { recursive: false, force: true }, &progress);
        let report = match watch_progress(get, || progress.0.load(Ordering::Relaxed)).await {
            Ok(report) => report.expect("the get succeeds"),
            Err(stalled) => {
                println!("  round {round}: {stalled}");
                line.stalled = Some(stalled);
                break;
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        session.close().await;
        let cpu = own_cpu_seconds() - cpu_before;
        assert_eq!(report.files, 1, "one file fetched: {report:?}");
        verify(source, target);
        let whose = if rss_reset { "alice+bob process" } else { "alice+bob process, since start" };
        let result = Round {
            seconds,
            connect: Some(connect),
            fsync_after: None,
            peak_rss: own_peak_rss_kib().map(|kib| (whose, kib)).into_iter().collect(),
            cpu: vec![("alice+bob process", cpu)],
        };
        print_round(round, &result, size_of(source));
        line.rounds.push(result);
    }
    line
}

/// Bytes received so far, for the stall watchdog.
#[derive(Default)]
struct Counter(AtomicU64);

impl Progress for Counter {
    fn advanced(&self, bytes: u64) {
        self.0.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// Awaits `work`, or gives up with a message once `bytes()` has not grown
/// for [`STALL_AFTER`]: a stuck transfer must not hang the benchmark.
async fn watch_progress<T>(work: impl Future<Output = T>, bytes: impl Fn() -> u64) -> Result<T, String> {
    tokio::pin!(work);
    let (mut last, mut since) = (bytes(), Instant::now());
    loop {
        tokio::select! {
            result = &mut work => return Ok(result),
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let now = bytes();
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() > STALL_AFTER {
            return Err(stall_message(now));
        }
    }
}

fn stall_message(bytes: u64) -> String {
    format!(
        "STALLED: no progress for {} s after {bytes} bytes ({:.1} MiB); the rest of this line is skipped",
        STALL_AFTER.as_secs(),
        bytes as f64 / MIB as f64
    )
}

/// Where and as whom `sftp` logs in.
struct SftpTarget<'a> {
    port: u16,
    user: &'a str,
    key: &'a Path,
    /// `None`: host key not checked (our own throwaway sshd).
    known_hosts: Option<&'a Path>,
    remote: &'a Path,
}

/// An `sftp` command running `batch`; `-vvv` makes it log the cipher and
/// the read size it settled on.
fn sftp_command(sftp: &Path, to: &SftpTarget, batch: &Path, verbose: bool, log: File) -> Command {
    let mut command = Command::new(sftp);
    // -F /dev/null: no user or system ssh_config may change ciphers or buffer sizes.
    command.args(["-F", "/dev/null", "-b"]).arg(batch).arg("-P").arg(to.port.to_string()).arg("-i").arg(to.key);
    if verbose {
        command.arg("-vvv");
    }
    command.args(["-o", "IdentitiesOnly=yes", "-o", "UpdateHostKeys=no"]);
    if let Ok(extra) = std::env::var(SFTP_ARGS_VAR) {
        command.args(extra.split_whitespace());
    }
    match to.known_hosts {
        Some(file) => command
            .args(["-o", "StrictHostKeyChecking=yes", "-o"])
            .arg(format!("UserKnownHostsFile={}", file.display())),
        None => command.args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]),
    };
    command.arg(format!("{}@127.0.0.1", to.user)).stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    command
}

/// Logs in once without transferring anything, to learn what `sftp`
/// negotiates with this server (untimed: debug logging costs time).
fn sftp_probe(sftp: &Path, to: &SftpTarget, scratch: &Path) -> Vec<String> {
    let batch = scratch.join("probe.batch");
    std::fs::write(&batch, "pwd\n").expect("writing the sftp batch file");
    let log_path = scratch.join("probe.log");
    let log = File::create(&log_path).expect("creating the sftp log");
    let status = sftp_command(sftp, to, &batch, true, log)
        .status()
        .unwrap_or_else(|err| panic!("running {}: {err}", sftp.display()));
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(status.success(), "sftp could not log in; its log:\n{log}");
    log.lines()
        .filter(|line| {
            line.contains("server->client cipher") || line.contains("buffer sizes") || line.contains("handle limit")
        })
        .map(|line| line.split_once(": ").map_or(line, |(_, rest)| rest).to_owned())
        .collect()
}

/// Runs one `sftp` get and measures it; `server` is who to sample for the
/// server side's RSS and CPU. `Err`: it stalled, and was killed.
fn run_sftp(sftp: &Path, to: &SftpTarget, local: &Path, scratch: &Path, server: ServerSide) -> Result<Round, String> {
    let batch = scratch.join("get.batch");
    std::fs::write(&batch, format!("get \"{}\" \"{}\"\n", to.remote.display(), local.display()))
        .expect("writing the sftp batch file");
    let log_path = scratch.join("get.log");
    let log = File::create(&log_path).expect("creating the sftp log");
    let mut command = sftp_command(sftp, to, &batch, false, log);

    let server_sampler = match server {
        ServerSide::ChildrenOf(pid) => Some(TreeSampler::start(pid)),
        ServerSide::ThisProcess => None,
    };
    let rss_reset = matches!(server, ServerSide::ThisProcess) && reset_own_peak_rss();
    let own_cpu_before = own_cpu_seconds();
    let started = Instant::now();
    let child = command.spawn().unwrap_or_else(|err| panic!("running {}: {err}", sftp.display()));
    let waited = wait_watching(child, local);
    let seconds = started.elapsed().as_secs_f64();
    let own_cpu = own_cpu_seconds() - own_cpu_before;
    let server_usage = server_sampler.map(TreeSampler::finish);
    let (status, usage) = waited?;
    if status != 0 {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        panic!("sftp failed (wait status {status}); its log:\n{log}");
    }

    let fsync_started = Instant::now();
    File::open(local).and_then(|file| file.sync_data()).expect("fsync of the downloaded file");
    let fsync_after = fsync_started.elapsed().as_secs_f64();

    let mut peak_rss = vec![("sftp+ssh", usage.max_rss_kib)];
    let mut cpu = vec![("sftp+ssh", usage.cpu_seconds)];
    match server_usage {
        Some(server) => {
            peak_rss.push(("sshd session, sampled", server.max_rss_kib));
            cpu.push(("sshd session, sampled", server.cpu_seconds));
        }
        None => {
            if let Some(kib) = own_peak_rss_kib() {
                peak_rss.push((if rss_reset { "alice process" } else { "alice process, since start" }, kib));
            }
            cpu.push(("alice process", own_cpu));
        }
    }
    Ok(Round { seconds, connect: None, fsync_after: Some(fsync_after), peak_rss, cpu })
}

#[derive(Clone, Copy)]
enum ServerSide {
    /// sshd: its per-connection processes are children of this pid.
    ChildrenOf(u32),
    /// alice, in this process.
    ThisProcess,
}

fn bench_openssh(
    sshd: &Path,
    keygen: &Path,
    sftp: &Path,
    base: &Path,
    source: &Path,
    target: &Path,
    rounds: usize,
) -> Line {
    let name = "OpenSSH → OpenSSH";
    println!("\n{name} (sftp against sshd + internal-sftp; sftp's time covers connect + get, no fsync)");
    let dir = base.join("openssh");
    std::fs::create_dir(&dir).expect("creating the sshd directory");
    let server = Sshd::start(sshd, keygen, &dir);
    let user = current_user();
    let to = SftpTarget { port: server.port, user: &user, key: &server.client_key, known_hosts: None, remote: source };
    let mut line = Line { name, rounds: Vec::new(), notes: sftp_probe(sftp, &to, &dir), stalled: None };
    for round in 1..=rounds {
        remove_if_present(target);
        sync_disks();
        let result = match run_sftp(sftp, &to, target, &dir, ServerSide::ChildrenOf(server.child.id())) {
            Ok(result) => result,
            Err(stalled) => {
                println!("  round {round}: {stalled}");
                line.stalled = Some(stalled);
                break;
            }
        };
        verify(source, target);
        print_round(round, &result, size_of(source));
        line.rounds.push(result);
    }
    line
}

fn bench_sftp_to_alice(peers: &Peers, sftp: &Path, base: &Path, source: &Path, target: &Path, rounds: usize) -> Line {
    let name = "OpenSSH → cordvault";
    println!("\n{name} (sftp against alice's server with bob's key; connect + get, no fsync)");
    let dir = base.join("sftp-to-alice");
    std::fs::create_dir(&dir).expect("creating the sftp scratch directory");
    let address = peers.alice.local_addr().expect("alice shares, so she listens");
    // Pin alice's real host key, as a careful OpenSSH user would.
    let known_hosts = dir.join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} {}\n", address.port(), peers.alice.identity().host_key.public_key_openssh()),
    )
    .expect("writing known_hosts");
    let key = peers.bob.identity().config_dir().join(CLIENT_KEY_FILE);
    let remote = PathBuf::from(format!("/{FILE_NAME}"));
    let to = SftpTarget {
        port: address.port(),
        user: "cordvault",
        key: &key,
        known_hosts: Some(&known_hosts),
        remote: &remote,
    };
    let mut line = Line { name, rounds: Vec::new(), notes: sftp_probe(sftp, &to, &dir), stalled: None };
    for round in 1..=rounds {
        remove_if_present(target);
        sync_disks();
        let result = match run_sftp(sftp, &to, target, &dir, ServerSide::ThisProcess) {
            Ok(result) => result,
            Err(stalled) => {
                println!("  round {round}: {stalled}");
                line.stalled = Some(stalled);
                break;
            }
        };
        verify(source, target);
        print_round(round, &result, size_of(source));
        line.rounds.push(result);
    }
    line
}

/// A throwaway sshd on a free loopback port, killed on drop.
struct Sshd {
    child: Child,
    port: u16,
    client_key: PathBuf,
}

impl Sshd {
    fn start(sshd: &Path, keygen: &Path, dir: &Path) -> Sshd {
        let host_key = dir.join("ssh_host_ed25519_key");
        let client_key = dir.join("client_ed25519_key");
        for key in [&host_key, &client_key] {
            let status = Command::new(keygen)
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "peer_get_bench", "-f"])
                .arg(key)
                .status()
                .unwrap_or_else(|err| panic!("running {}: {err}", keygen.display()));
            assert!(status.success(), "ssh-keygen failed for {}", key.display());
        }
        // Free now; sshd binds it a moment later (a race only another
        // program binding random ports could lose us).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {host}\nAuthorizedKeysFile {client}.pub\n\
                 PidFile {dir}/sshd.pid\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n\
                 Subsystem sftp internal-sftp\n",
                host = host_key.display(),
                client = client_key.display(),
                dir = dir.display(),
            ),
        )
        .expect("writing sshd_config");
        // As root, sshd insists on its privilege separation directory, which
        // the package creates only when its service starts.
        if current_user() == "root" {
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let log_path = dir.join("sshd.log");
        let log = File::create(&log_path).expect("creating the sshd log");
        let mut child = Command::new(sshd)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("running {}: {err}", sshd.display()));
        let deadline = Instant::now() + SSHD_START_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = child.try_wait().expect("checking on sshd");
            if exited.is_some() || Instant::now() > deadline {
                let _ = child.kill();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("sshd did not start listening on port {port}; its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Sshd { child, port, client_key }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The login name: sshd only lets this user in (and root only by key).
fn current_user() -> String {
    Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|name| name.trim().to_owned())
        .or_else(|| std::env::var("USER").ok())
        .expect("the current user name (from `id -un` or $USER)")
}

/// `name` on PATH, or in the sbin directories a non-root PATH lacks.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Starts a fresh peak (VmHWM) for this process; false if the kernel refused.
fn reset_own_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn own_peak_rss_kib() -> Option<u64> {
    status_kib(&std::fs::read_to_string("/proc/self/status").ok()?, "VmHWM:")
}

fn status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| line.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
}

fn timeval_seconds(time: libc::timeval) -> f64 {
    time.tv_sec as f64 + time.tv_usec as f64 / 1e6
}

fn own_cpu_seconds() -> f64 {
    // SAFETY: rusage is plain data, and getrusage only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage we own.
    let result = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(result, 0, "getrusage: {}", std::io::Error::last_os_error());
    timeval_seconds(usage.ru_utime) + timeval_seconds(usage.ru_stime)
}

struct ChildUsage {
    max_rss_kib: u64,
    cpu_seconds: f64,
}

/// Reaps `child` with wait4, which (unlike `Child::wait`) returns its max
/// RSS and CPU time, its own and its reaped children's (sftp reaps its ssh).
/// Returns the raw wait status (0: exit 0); kills the child and gives up if
/// `output` stops growing for [`STALL_AFTER`].
fn wait_watching(mut child: Child, output: &Path) -> Result<(i32, ChildUsage), String> {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    let written = || std::fs::metadata(output).map(|metadata| metadata.len()).unwrap_or(0);
    let (mut last, mut since) = (written(), Instant::now());
    let mut stalled = None;
    let mut status = 0;
    // SAFETY: rusage is plain data.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let flags = if stalled.is_some() { 0 } else { libc::WNOHANG };
        // SAFETY: valid pointers to locals; pid is our own unreaped child.
        let reaped = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if reaped == pid {
            break;
        }
        if reaped == -1 {
            let err = std::io::Error::last_os_error();
            assert!(err.kind() == std::io::ErrorKind::Interrupted, "wait4: {err}");
            continue;
        }
        std::thread::sleep(Duration::from_millis(20));
        let now = written();
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() > STALL_AFTER && stalled.is_none() {
            // Our own child, by its handle; its ssh exits when the pipe closes.
            let _ = child.kill();
            stalled = Some(stall_message(now));
        }
    }
    if let Some(message) = stalled {
        return Err(message);
    }
    let usage = ChildUsage {
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        cpu_seconds: timeval_seconds(usage.ru_utime) + timeval_seconds(usage.ru_stime),
    };
    Ok((status, usage))
}

/// Samples the peak RSS and CPU time of a process's descendants (sshd's
/// per-connection processes, which are not our children, so wait4 cannot
/// see them). VmHWM only grows, so the last sample is the peak unless a
/// process grew in its final 10 ms; CPU can miss those last 10 ms.
struct TreeSampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<ChildUsage>,
}

impl TreeSampler {
    fn start(root: u32) -> TreeSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        // SAFETY: sysconf has no preconditions.
        let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let thread = std::thread::spawn(move || {
            let mut seen: HashMap<u32, (u64, u64)> = HashMap::new();
            loop {
                let last = stopped.load(Ordering::Relaxed);
                for pid in descendants(root) {
                    let hwm = std::fs::read_to_string(format!("/proc/{pid}/status"))
                        .ok()
                        .and_then(|status| status_kib(&status, "VmHWM:"));
                    if let (Some(hwm), Some(ticks)) = (hwm, cpu_ticks(pid)) {
                        seen.insert(pid, (hwm, ticks));
                    }
                }
                if last {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            ChildUsage {
                max_rss_kib: seen.values().map(|&(hwm, _)| hwm).max().unwrap_or(0),
                cpu_seconds: seen.values().map(|&(_, ticks)| ticks).sum::<u64>() as f64 / ticks_per_second,
            }
        });
        TreeSampler { stop, thread }
    }

    fn finish(self) -> ChildUsage {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the sampler thread")
    }
}

/// The fields of /proc/PID/stat after the command name (which may hold
/// spaces and parentheses): state, ppid, ..., utime at 11, stime at 12.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let fields = stat_fields(pid)?;
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else { continue };
        if let Some(ppid) = stat_fields(pid).and_then(|fields| fields.get(1)?.parse::<u32>().ok()) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            found.push(child);
            queue.push(child);
        }
    }
    found
}

fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap_or_else(|err| panic!("{}: {err}", path.display())).len()
}

fn mib_per_second(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / MIB as f64 / seconds
}

fn print_round(round: usize, result: &Round, size: u64) {
    let mut text =
        format!("  round {round}: {:.2} s = {:.1} MiB/s", result.seconds, mib_per_second(size, result.seconds));
    if let Some(connect) = result.connect {
        text += &format!(" (connect {:.3} s)", connect);
    }
    if let Some(fsync) = result.fsync_after {
        let durable = result.durable_seconds();
        text += &format!("; + fsync {fsync:.2} s = {durable:.2} s = {:.1} MiB/s", mib_per_second(size, durable));
    }
    let rss: Vec<String> =
        result.peak_rss.iter().map(|(whose, kib)| format!("{whose} {:.1} MiB", *kib as f64 / 1024.0)).collect();
    let cpu: Vec<String> = result.cpu.iter().map(|(whose, seconds)| format!("{whose} {seconds:.2} s")).collect();
    println!("{text}\n           peak RSS: {}; CPU: {}; verified", rss.join(", "), cpu.join(", "));
}

/// `None` for no values (a line whose first round stalled).
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        len if len % 2 == 0 => Some((values[middle - 1] + values[middle]) / 2.0),
        _ => Some(values[middle]),
    }
}

impl Line {
    /// Median seconds as the client reports them, and with the file on disk.
    fn medians(&self) -> Option<(f64, f64)> {
        let seconds = median(self.rounds.iter().map(|round| round.seconds).collect())?;
        let durable = median(self.rounds.iter().map(Round::durable_seconds).collect())?;
        Some((seconds, durable))
    }
}

fn summary(lines: &[Line], size: u64) {
    println!("\nmedians over the rounds ({} MiB; MiB/s = 2^20 bytes per second)", size / MIB);
    println!(
        "  {:<24} {:>6} {:>9} {:>9} {:>16} {:>14}",
        "line", "rounds", "seconds", "MiB/s", "+fsync seconds", "+fsync MiB/s"
    );
    for line in lines {
        let Some((seconds, durable)) = line.medians() else {
            println!("  {:<24} {:>6} stalled in its first round", line.name, 0);
            continue;
        };
        let fsync_separate = line.rounds.iter().any(|round| round.fsync_after.is_some());
        let durable_seconds = if fsync_separate { format!("{durable:.2}") } else { "(included)".to_owned() };
        println!(
            "  {:<24} {:>6} {:>9.2} {:>9.1} {:>16} {:>14.1}{}",
            line.name,
            line.rounds.len(),
            seconds,
            mib_per_second(size, seconds),
            durable_seconds,
            mib_per_second(size, durable),
            if line.stalled.is_some() { "  (then a round STALLED)" } else { "" }
        );
    }
    for line in lines.iter().filter(|line| !line.notes.is_empty()) {
        println!("  {}: {}", line.name, line.notes.join("; "));
    }
    let medians = |name: &str| lines.iter().find(|line| line.name == name).and_then(Line::medians);
    if let (Some((_, ours)), Some((theirs_plain, theirs))) =
        (medians("cordvault → cordvault"), medians("OpenSSH → OpenSSH"))
    {
        let verdict = |ratio: f64| if ratio <= 1.0 { "target met" } else { "target NOT met" };
        println!(
            "  cordvault's time / OpenSSH's: {:.2} against sftp + fsync ({}), {:.2} against sftp alone ({})",
            ours / theirs,
            verdict(ours / theirs),
            ours / theirs_plain,
            verdict(ours / theirs_plain)
        );
    }
}
