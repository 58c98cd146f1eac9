//! OpenSSH's `sftp` against `cordvault-gateway` in front of a real manager,
//! on SQLite and PostgreSQL: what users see, what another user sees, and
//! what they may not do.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use cordvault_client::proto::ShareLevel;
use cordvault_client::{Client, UploadOptions};
use cordvault_sftp::HostKey;
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes, sha256_hex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

backend_tests!(
    openssh_round_trip_resume_and_sharing,
    wrong_passwords_get_nothing,
    registered_ssh_keys_log_in,
    a_gateway_killed_mid_upload_leaves_nothing_behind,
    the_manager_runs_the_gateway_in_process,
);

const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// A running `cordvault-gateway` process.
struct Gateway {
    /// None when the manager runs it in-process.
    process: Option<Child>,
    staging: PathBuf,
    port: u16,
    known_hosts: PathBuf,
    askpass: PathBuf,
}

/// How a client proves who it is.
enum Credential<'a> {
    Password(&'a str),
    Key(&'a Path),
}

impl Gateway {
    /// A gateway that takes passwords only.
    async fn start(server: &TestServer, base: &Path) -> Gateway {
        Gateway::start_with(server, base, None).await
    }

    /// With `service_password`, it takes registered SSH keys too.
    async fn start_with(server: &TestServer, base: &Path, service_password: Option<String>) -> Gateway {
        let host_key_path = base.join("gateway/ssh_host_ed25519_key");
        fs::create_dir_all(base.join("gateway/staging")).unwrap();
        let host_key = HostKey::load_or_create(&host_key_path).expect("host key");
        let mut command = Command::new(env!("CARGO_BIN_EXE_cordvault-gateway"));
        command.env_remove("SERVICE_PASSWORD");
        if let Some(password) = service_password {
            command.env("SERVICE_PASSWORD", password);
        }
        let mut process = command
            .args(["--manager", &server.url, "--sftp-listen", "127.0.0.1:0"])
            .arg("--host-key")
            .arg(&host_key_path)
            .arg("--staging-dir")
            .arg(base.join("gateway/staging"))
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the gateway");
        let mut stdout = BufReader::new(process.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), stdout.next_line())
            .await
            .expect("the gateway starts in time")
            .unwrap()
            .expect("the gateway prints where it listens");
        let address = line.strip_prefix("sftp listening on ").and_then(|rest| rest.split(' ').next()).expect(&line);
        let port: u16 = address.rsplit(':').next().unwrap().parse().unwrap();
        assert!(line.contains(&host_key.fingerprint()), "{line}");
        let mut gateway = Gateway::client_files(base, port, &host_key);
        gateway.process = Some(process);
        gateway.staging = base.join("gateway/staging");
        gateway
    }

    /// The gateway a manager started with `sftp_listen`.
    fn in_process(server: &TestServer, base: &Path) -> Gateway {
        let port = server.running().sftp_addr().expect("the manager runs the gateway").port();
        let host_key = HostKey::load_or_create(server.data_dir().join("gateway/ssh_host_ed25519_key")).unwrap();
        fs::create_dir_all(base).unwrap();
        let mut gateway = Gateway::client_files(base, port, &host_key);
        gateway.staging = server.data_dir().join("gateway/staging");
        gateway
    }

    /// What a client needs: known_hosts with the host key, and an askpass
    /// program (OpenSSH reads passwords from a terminal or one of those only).
    fn client_files(base: &Path, port: u16, host_key: &HostKey) -> Gateway {
        let known_hosts = base.join("known_hosts");
        fs::write(&known_hosts, format!("[127.0.0.1]:{port} {}\n", host_key.public_key_openssh())).unwrap();
        let askpass = base.join("askpass");
        fs::write(&askpass, "#!/bin/sh\nprintf '%s\\n' \"$GATEWAY_TEST_PASSWORD\"\n").unwrap();
        fs::set_permissions(&askpass, fs::Permissions::from_mode(0o755)).unwrap();
        Gateway { process: None, staging: PathBuf::new(), port, known_hosts, askpass }
    }

    /// Starts `sftp -b` as `user` with `password`, without waiting for it.
    fn spawn_sftp(&self, user: &str, password: &str, workdir: &Path, commands: &str) -> Child {
        let batch = workdir.join(".batch");
        fs::write(&batch, commands).unwrap();
        let mut command = Command::new("sftp");
        command
            .args(["-o", "BatchMode=no", "-o", "PubkeyAuthentication=no", "-o", "GlobalKnownHostsFile=/dev/null"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", self.known_hosts.display()))
            .args(["-F", "/dev/null", "-b"])
            .arg(&batch)
            .args(["-P", &self.port.to_string()])
            .arg(format!("{user}@127.0.0.1"))
            .current_dir(workdir)
            .env("SSH_ASKPASS", &self.askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("GATEWAY_TEST_PASSWORD", password)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        command.spawn().expect("run sftp")
    }

    /// Runs `sftp -b` as `user` with `password`, in `workdir`.
    async fn sftp(&self, user: &str, password: &str, workdir: &Path, commands: &str) -> Output {
        self.sftp_as(user, Credential::Password(password), workdir, commands).await
    }

    async fn sftp_as(&self, user: &str, credential: Credential<'_>, workdir: &Path, commands: &str) -> Output {
        let batch = workdir.join(".batch");
        fs::write(&batch, commands).unwrap();
        let mut command = Command::new("sftp");
        // -b implies BatchMode=yes, which forbids password prompts; the
        // first value of an option wins, so BatchMode=no goes first.
        let mut options = vec![
            "BatchMode=no".to_owned(),
            format!("UserKnownHostsFile={}", self.known_hosts.display()),
            "GlobalKnownHostsFile=/dev/null".to_owned(),
            "StrictHostKeyChecking=yes".to_owned(),
            "IdentityAgent=none".to_owned(),
            "ConnectTimeout=20".to_owned(),
        ];
        let password = match credential {
            Credential::Password(password) => {
                options.extend(["PubkeyAuthentication=no", "PreferredAuthentications=password"].map(String::from));
                options.push("NumberOfPasswordPrompts=1".to_owned());
                password
            }
            Credential::Key(key) => {
                options.extend(["PasswordAuthentication=no", "PreferredAuthentications=publickey"].map(String::from));
                options.extend(["IdentitiesOnly=yes".to_owned(), format!("IdentityFile={}", key.display())]);
                ""
            }
        };
        for option in options {
            command.arg("-o").arg(option);
        }
        command
            .args(["-F", "/dev/null", "-b"])
            .arg(&batch)
            .args(["-P", &self.port.to_string()])
            .arg(format!("{user}@127.0.0.1"))
            .current_dir(workdir)
            .env("SSH_ASKPASS", &self.askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("GATEWAY_TEST_PASSWORD", password)
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let output =
            tokio::time::timeout(CLIENT_TIMEOUT, command.output()).await.expect("sftp hung").expect("run sftp");
        fs::remove_file(&batch).unwrap();
        output
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed\nstdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

async fn remote_sha256(client: &Client, path: &str) -> String {
    client.stat(path).await.unwrap_or_else(|err| panic!("{path}: {err}")).sha256
}

async fn openssh_round_trip_resume_and_sharing(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.chunk_size = 1 << 20).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let base = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(&server, base.path()).await;

    // A tree up, and down again.
    let work = base.path().join("work");
    let up = work.join("up");
    fs::create_dir_all(up.join("sub")).unwrap();
    let big = random_bytes(5 * 1024 * 1024 + 77, 1);
    fs::write(up.join("big.bin"), &big).unwrap();
    fs::write(up.join("empty.txt"), b"").unwrap();
    fs::write(up.join("héllo wörld ☃.txt"), b"unicode\n").unwrap();
    fs::write(up.join("sub/inner.txt"), b"inner\n").unwrap();
    let batch = "mkdir /docs\nput -r up /docs/up\nls -l /docs/up\nget -r /docs/up down\n";
    let output = gateway.sftp("alice", "alice-password", &work, batch).await;
    assert_success(&output, "put -r and get -r");
    assert!(text(&output.stdout).contains("héllo wörld ☃.txt"), "{}", text(&output.stdout));
    for name in ["big.bin", "empty.txt", "héllo wörld ☃.txt", "sub/inner.txt"] {
        assert_eq!(fs::read(work.join("down").join(name)).unwrap(), fs::read(up.join(name)).unwrap(), "{name}");
    }
    assert_eq!(remote_sha256(&alice, "/docs/up/big.bin").await, sha256_hex(&big));
    assert_eq!(alice.stat("/docs/up/empty.txt").await.unwrap().size, 0);

    // Resumed transfers: reget fetches the rest of a partial local file,
    // reput sends the rest of a partial remote one.
    fs::write(work.join("partial.bin"), &big[..1_234_567]).unwrap();
    let resume = random_bytes(3 * 1024 * 1024, 2);
    fs::write(work.join("resume.bin"), &resume).unwrap();
    alice.upload_bytes(resume.slice(..1_000_000), "/docs/resume.bin", &UploadOptions::default()).await.unwrap();
    let batch = "reget /docs/up/big.bin partial.bin\nreput resume.bin /docs/resume.bin\n";
    assert_success(&gateway.sftp("alice", "alice-password", &work, batch).await, "reget and reput");
    assert_eq!(fs::read(work.join("partial.bin")).unwrap(), big);
    assert_eq!(remote_sha256(&alice, "/docs/resume.bin").await, sha256_hex(&resume));

    // Rename (also across folders), remove, rmdir.
    let batch = "rename /docs/up/empty.txt /docs/up/still-empty.txt\nrename /docs/resume.bin /docs/up/sub/moved.bin\n\
                 rm /docs/up/sub/inner.txt\nmkdir /docs/gone\nrmdir /docs/gone\n-rmdir /docs/up/sub\nls /docs/up/sub\n";
    let output = gateway.sftp("alice", "alice-password", &work, batch).await;
    assert_success(&output, "rename, rm, rmdir");
    // SFTP v3 has no "not empty" code; OpenSSH prints the code, not the reason.
    assert!(text(&output.stderr).contains("remote rmdir \"/docs/up/sub\": Failure"), "{}", text(&output.stderr));
    let names: Vec<String> = alice.list("/docs/up").await.unwrap().into_iter().map(|entry| entry.name).collect();
    assert_eq!(names, ["sub", "big.bin", "héllo wörld ☃.txt", "still-empty.txt"]);
    assert_eq!(remote_sha256(&alice, "/docs/up/sub/moved.bin").await, sha256_hex(&resume));
    assert!(alice.stat("/docs/gone").await.is_err());

    // OpenSSH's rename is posix-rename when the server offers it: it
    // replaces a file at the target, in one step.
    alice.upload_bytes(bytes::Bytes::from_static(b"old"), "/docs/target.txt", &UploadOptions::default()).await.unwrap();
    alice.upload_bytes(bytes::Bytes::from_static(b"new"), "/docs/source.txt", &UploadOptions::default()).await.unwrap();
    let output = gateway.sftp("alice", "alice-password", &work, "rename /docs/source.txt /docs/target.txt\n").await;
    assert_success(&output, "posix-rename over a file");
    assert_eq!(remote_sha256(&alice, "/docs/target.txt").await, sha256_hex(b"new"));
    assert!(alice.stat("/docs/source.txt").await.is_err());

    // Bob sees what alice shared with him, read-only, and nothing else.
    alice.create_folder("/private").await.unwrap();
    alice.upload_bytes(random_bytes(100, 3), "/private/secret.bin", &UploadOptions::default()).await.unwrap();
    alice.share("/docs", "bob", ShareLevel::Read).await.unwrap();
    let bobs = base.path().join("bob");
    fs::create_dir_all(&bobs).unwrap();
    let batch = "get /docs/up/big.bin big.bin\n-put big.bin /docs/up/from-bob.bin\n-mkdir /docs/bobs\n\
                 -rm /docs/up/big.bin\n-rename /docs/up/big.bin /docs/up/taken.bin\n-get /private/secret.bin\n";
    let output = gateway.sftp("bob", "bob-password", &bobs, batch).await;
    assert_success(&output, "bob's batch");
    assert_eq!(fs::read(bobs.join("big.bin")).unwrap(), big);
    let refusals = text(&output.stderr);
    assert!(refusals.matches("Permission denied").count() >= 5, "each refusal says why:\n{refusals}");
    assert!(!bobs.join("secret.bin").exists(), "{refusals}");
    let names: Vec<String> = alice.list("/docs/up").await.unwrap().into_iter().map(|entry| entry.name).collect();
    assert_eq!(names, ["sub", "big.bin", "héllo wörld ☃.txt", "still-empty.txt"], "alice's files untouched");
    assert!(bob.stat("/docs/up/from-bob.bin").await.is_err());
    server.shutdown().await;
}

async fn a_gateway_killed_mid_upload_leaves_nothing_behind(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.chunk_size = 1 << 20).await;
    let alice = server.user("alice").await;
    let base = tempfile::tempdir().unwrap();
    let work = base.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let big = random_bytes(256 * 1024 * 1024, 4);
    fs::write(work.join("big.bin"), &big).unwrap();

    let mut gateway = Gateway::start(&server, base.path()).await;
    let mut upload = gateway.spawn_sftp("alice", "alice-password", &work, "put big.bin /big.bin\n");
    // Killed once the upload is under way: sftp has read 16 MiB of the file.
    let pid = upload.id().expect("sftp runs");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while bytes_read_by(pid) < 16 << 20 {
        assert!(tokio::time::Instant::now() < deadline, "the upload did not start");
        assert!(upload.try_wait().unwrap().is_none(), "sftp ended before sending 16 MiB");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let process = gateway.process.as_mut().unwrap();
    process.start_kill().unwrap();
    process.wait().await.unwrap();
    let status = tokio::time::timeout(CLIENT_TIMEOUT, upload.wait()).await.expect("sftp ends").unwrap();
    assert!(!status.success(), "the upload cannot have succeeded");

    // No half file in the tree, and none left on the gateway's disk.
    assert!(alice.list("/").await.unwrap().is_empty(), "a killed upload left an entry");
    assert_eq!(fs::read_dir(&gateway.staging).unwrap().count(), 0, "staging files outlived the gateway");

    // The same upload through a new gateway (same host key) goes through.
    let gateway = Gateway::start(&server, base.path()).await;
    let output = gateway.sftp("alice", "alice-password", &work, "put big.bin /big.bin\n").await;
    assert_success(&output, "the repeated upload");
    assert_eq!(remote_sha256(&alice, "/big.bin").await, sha256_hex(&big));
    server.shutdown().await;
}

async fn the_manager_runs_the_gateway_in_process(backend: Backend) {
    let listen = "127.0.0.1:0".parse().unwrap();
    let mut server = TestServer::start_with(backend, |config| config.sftp_listen = Some(listen)).await;
    let alice = server.user("alice").await;
    let base = tempfile::tempdir().unwrap();
    let work = base.path().join("work");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("file.txt"), b"in-process").unwrap();
    let key = keygen(&base.path().join("alice_key")).await;
    alice.add_ssh_key(&fs::read_to_string(key.with_extension("pub")).unwrap()).await.unwrap();

    // Passwords, and keys: the manager gives its gateway the service password.
    let gateway = Gateway::in_process(&server, &base.path().join("first"));
    let output = gateway.sftp("alice", "alice-password", &work, "put file.txt /by-password.txt\n").await;
    assert_success(&output, "a password login in-process");
    let output = gateway.sftp_as("alice", Credential::Key(&key), &work, "put file.txt /by-key.txt\n").await;
    assert_success(&output, "a key login in-process");
    let names: Vec<String> = alice.list("/").await.unwrap().into_iter().map(|entry| entry.name).collect();
    assert_eq!(names, ["by-key.txt", "by-password.txt"]);

    // The host key survives a restart.
    let key_file = server.data_dir().join("gateway/ssh_host_ed25519_key");
    let host_key = fs::read(&key_file).unwrap();
    server.restart().await;
    assert_eq!(fs::read(&key_file).unwrap(), host_key);
    let again = Gateway::in_process(&server, &base.path().join("again"));
    let output = again.sftp("alice", "alice-password", &work, "get /by-key.txt back.txt\n").await;
    assert_success(&output, "after a restart");
    assert_eq!(fs::read(work.join("back.txt")).unwrap(), b"in-process");
    server.shutdown().await;
}

/// How many bytes process `pid` has read so far (`rchar` in /proc/PID/io).
fn bytes_read_by(pid: u32) -> u64 {
    let io = fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    io.lines().find_map(|line| line.strip_prefix("rchar: ")).and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// A fresh Ed25519 key pair from ssh-keygen; returns the private key's path.
async fn keygen(path: &Path) -> PathBuf {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path)
        .status()
        .await
        .expect("run ssh-keygen");
    assert!(status.success());
    path.to_owned()
}

async fn registered_ssh_keys_log_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let base = tempfile::tempdir().unwrap();
    let work = base.path().join("work");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("file.txt"), b"by key").unwrap();
    let alice_key = keygen(&base.path().join("alice_key")).await;
    let bob_key = keygen(&base.path().join("bob_key")).await;
    let stranger_key = keygen(&base.path().join("stranger_key")).await;
    alice.add_ssh_key(&fs::read_to_string(alice_key.with_extension("pub")).unwrap()).await.unwrap();
    bob.add_ssh_key(&fs::read_to_string(bob_key.with_extension("pub")).unwrap()).await.unwrap();

    // A gateway without the service password takes no keys at all.
    let passwords_only = Gateway::start(&server, &base.path().join("passwords-only")).await;
    let output = passwords_only.sftp_as("alice", Credential::Key(&alice_key), &work, "ls /\n").await;
    assert!(!output.status.success(), "a key got in without the service password");

    let gateway = Gateway::start_with(&server, &base.path().join("keys"), Some(server.service_password())).await;
    let batch = "put file.txt /by-key.txt\n";
    let output = gateway.sftp_as("alice", Credential::Key(&alice_key), &work, batch).await;
    assert_success(&output, "alice with her key");
    assert_eq!(remote_sha256(&alice, "/by-key.txt").await, sha256_hex(b"by key"));
    // Another user's key, or an unregistered one, does not make you alice.
    for key in [&bob_key, &stranger_key] {
        let output = gateway.sftp_as("alice", Credential::Key(key), &work, "put file.txt /intruder.txt\n").await;
        assert!(!output.status.success(), "{key:?} logged in as alice");
        assert!(text(&output.stderr).contains("Permission denied"), "{}", text(&output.stderr));
    }
    let names: Vec<String> = alice.list("/").await.unwrap().into_iter().map(|entry| entry.name).collect();
    assert_eq!(names, ["by-key.txt"]);
    // A removed key stops working (past the gateway's short memory of it,
    // which a new gateway does not have).
    let key_id = alice.list_ssh_keys().await.unwrap()[0].id;
    alice.remove_ssh_key(key_id).await.unwrap();
    let fresh = Gateway::start_with(&server, &base.path().join("fresh"), Some(server.service_password())).await;
    let output = fresh.sftp_as("alice", Credential::Key(&alice_key), &work, "ls /\n").await;
    assert!(!output.status.success(), "a removed key still logs in");
    server.shutdown().await;
}

async fn wrong_passwords_get_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let base = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(&server, base.path()).await;
    let work = base.path().join("work");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("file.txt"), b"data").unwrap();
    for (user, password) in [("alice", "wrong-password"), ("nobody", "alice-password"), ("alice", "")] {
        let output = gateway.sftp(user, password, &work, "put file.txt /file.txt\n").await;
        assert!(!output.status.success(), "{user}/{password} got in");
        assert!(text(&output.stderr).contains("Permission denied"), "{}", text(&output.stderr));
    }
    assert!(alice.list("/").await.unwrap().is_empty(), "nothing was written");
    let output = gateway.sftp("alice", "alice-password", &work, "put file.txt /file.txt\n").await;
    assert_success(&output, "the right password");
    server.shutdown().await;
}
