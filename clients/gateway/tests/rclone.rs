//! rclone, through both its `webdav` and its `sftp` backends, against the
//! gateways a manager runs in-process, on SQLite and PostgreSQL: a tree with
//! a 256 MiB file, an empty file, unicode names and a folder of 1,500
//! entries with long names goes up and down, `rclone check --download`
//! finds no difference, and `rclone cat --offset --count` returns exact
//! ranges.

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use cordvault_sftp::HostKey;
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};
use tokio::process::Command;

backend_tests!(rclone_round_trips_a_tree_over_webdav_and_sftp);

const RCLONE_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs rclone with `args`; remotes come from `env` (RCLONE_CONFIG_*).
async fn rclone(env: &[(String, String)], args: &[&str]) -> Vec<u8> {
    let mut command = Command::new("rclone");
    command
        .args(args)
        .args(["--config", "/dev/null", "--transfers", "8", "--checkers", "16", "--low-level-retries", "1"])
        .envs(env.iter().map(|(key, value)| (key.as_str(), value.as_str())))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(RCLONE_TIMEOUT, command.output())
        .await
        .expect("rclone hung")
        .expect("rclone is installed (.ci/install)");
    assert!(output.status.success(), "rclone {args:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

async fn obscure(password: &str) -> String {
    let output = Command::new("rclone").args(["obscure", password]).output().await.expect("rclone obscure");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The local tree: every kind of entry the acceptance names.
fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("many")).unwrap();
    fs::write(root.join("big.bin"), random_bytes(256 * 1024 * 1024, 7)).unwrap();
    fs::write(root.join("empty.txt"), b"").unwrap();
    fs::write(root.join("héllo wörld ☃ – 日本語.txt"), "unicode\n").unwrap();
    let long = "a-rather-long-file-name-that-goes-on-and-on-".repeat(3);
    for n in 0..1_500 {
        fs::write(root.join("many").join(format!("{long}{n:04}.txt")), format!("entry {n}\n")).unwrap();
    }
}

async fn rclone_round_trips_a_tree_over_webdav_and_sftp(backend: Backend) {
    let listen = "127.0.0.1:0".parse().unwrap();
    let server = TestServer::start_with(backend, |config| {
        config.chunk_size = 4 << 20;
        config.sftp_listen = Some(listen);
    })
    .await;
    let alice = server.user("alice").await;
    let password = alice.create_app_password("rclone").await.unwrap().secret;
    let base = tempfile::tempdir().unwrap();
    let up = base.path().join("up");
    make_tree(&up);

    let sftp_port = server.running().sftp_addr().unwrap().port();
    let host_key = HostKey::load_or_create(server.data_dir().join("gateway/ssh_host_ed25519_key")).unwrap();
    let known_hosts = base.path().join("known_hosts");
    fs::write(&known_hosts, format!("[127.0.0.1]:{sftp_port} {}\n", host_key.public_key_openssh())).unwrap();
    let obscured = obscure(&password).await;
    let env: Vec<(String, String)> = [
        ("RCLONE_CONFIG_DAV_TYPE", "webdav".to_owned()),
        ("RCLONE_CONFIG_DAV_URL", format!("{}/dav/", server.url)),
        ("RCLONE_CONFIG_DAV_VENDOR", "other".to_owned()),
        ("RCLONE_CONFIG_DAV_USER", "alice".to_owned()),
        ("RCLONE_CONFIG_DAV_PASS", obscured.clone()),
        ("RCLONE_CONFIG_SFTP_TYPE", "sftp".to_owned()),
        ("RCLONE_CONFIG_SFTP_HOST", "127.0.0.1".to_owned()),
        ("RCLONE_CONFIG_SFTP_PORT", sftp_port.to_string()),
        ("RCLONE_CONFIG_SFTP_USER", "alice".to_owned()),
        ("RCLONE_CONFIG_SFTP_PASS", obscured),
        ("RCLONE_CONFIG_SFTP_KNOWN_HOSTS_FILE", known_hosts.display().to_string()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();

    alice.create_folder("/via-dav").await.unwrap();
    alice.create_folder("/via-sftp").await.unwrap();
    for remote in ["dav:via-dav", "sftp:via-sftp"] {
        let local = up.display().to_string();
        rclone(&env, &["copy", &local, remote]).await;
        rclone(&env, &["check", "--download", &local, remote]).await;
        let down = base.path().join(remote.replace(':', "-"));
        rclone(&env, &["copy", remote, &down.display().to_string()]).await;
        rclone(&env, &["check", "--download", &local, &down.display().to_string()]).await;
        fs::remove_dir_all(&down).unwrap();

        // Exact ranges: inside the first chunk, across a chunk boundary, at the end.
        let big = fs::read(up.join("big.bin")).unwrap();
        let file = format!("{remote}/big.bin");
        for (offset, count) in [(0usize, 1usize), (4_194_000, 1_000), (big.len() - 10, 10)] {
            let range =
                rclone(&env, &["cat", "--offset", &offset.to_string(), "--count", &count.to_string(), &file]).await;
            assert_eq!(range, &big[offset..offset + count], "{remote} {offset}+{count}");
        }
    }
    let listed = alice.list_all("/via-sftp/many", Default::default()).await.unwrap();
    assert_eq!(listed.len(), 1_500);
    assert_eq!(alice.stat("/via-dav/empty.txt").await.unwrap().size, 0);
    server.shutdown().await;
}
