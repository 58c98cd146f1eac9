//! The `cordvault` binary against a real server, on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use cordvault_server::config::{DiscordConfig, StoreChoice};
use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes, sha256_hex};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

backend_tests!(
    round_trip,
    interrupted_put_resumes,
    errors_are_one_line,
    get_range,
    round_trip_through_discord,
    interrupted_put_through_discord_resumes,
    admin_commands,
    link_commands,
    package_commands,
    ssh_key_and_app_password_commands,
);

/// A Discord store on the emulator, with attachment URLs that expire every
/// few seconds.
async fn discord_server(backend: Backend, chunk_size: u64) -> (TestServer, RunningEmulator) {
    let config = EmulatorConfig { url_lifetime: Duration::from_secs(3), ..Default::default() };
    let emulator = RunningEmulator::start(config).await;
    let store = DiscordConfig {
        tokens: emulator.emulator.config().tokens.clone(),
        channels: emulator.emulator.config().channels.clone(),
        api_base: Some(emulator.url.clone()),
        keep_messages: false,
    };
    (
        TestServer::start_with(backend, |config| {
            config.chunk_size = chunk_size;
            config.store = StoreChoice::Discord(store);
        })
        .await,
        emulator,
    )
}

async fn round_trip(backend: Backend) {
    round_trip_on(TestServer::start_with(backend, |config| config.chunk_size = 4 << 20).await, 75).await;
}

async fn round_trip_through_discord(backend: Backend) {
    let (server, emulator) = discord_server(backend, 8 << 20).await;
    round_trip_on(server, 38).await;
    // The big file's chunks and one per non-empty small file.
    assert!(emulator.emulator.messages().len() > 900, "chunks live on the emulator");
}

async fn interrupted_put_resumes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let chunk_dir = server.chunk_dir();
    interrupted_put_resumes_on(server, move || stored_chunks(&chunk_dir)).await;
}

async fn interrupted_put_through_discord_resumes(backend: Backend) {
    let (server, emulator) = discord_server(backend, 1 << 20).await;
    let messages = emulator.emulator.clone();
    interrupted_put_resumes_on(server, move || messages.messages().len()).await;
}

const PASSWORD: &str = "correct horse battery";

/// Runs the binary as one user would: its own config directory, no token or
/// password inherited from the environment.
struct Cli {
    server_url: String,
    config_dir: tempfile::TempDir,
}

/// `cordvault package`: a link submitted and waited for, its status, the
/// result opened here with the key into a SQLite file, deletion. No login.
async fn package_commands(backend: Backend) {
    use cordvault_test_support::click::ClickServer;
    use cordvault_test_support::dumpus::{discord_key, package_id};
    use cordvault_test_support::package_gen::{PackageLayout, PackageSpec, generate, read_tables};
    let click = ClickServer::start().await;
    let url = click.url.clone();
    let server = TestServer::start_with(backend, move |config| config.packages.click_base = url).await;
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("package.zip");
    let key = discord_key(61);
    let id = package_id(&key);
    let expected = generate(&PackageSpec::small(61, PackageLayout::Translated), &zip).unwrap().with_package_id(&id);
    click.add(&key, zip);
    let cli = Cli::new(&server);
    let link = ClickServer::discord_link(&key);

    assert_eq!(cli.ok(&["package", "submit", &link, "--wait"]).await, format!("{id}\tqueued\n"));
    let status: Value = serde_json::from_str(&cli.ok(&["package", "status", &key, "--json"]).await).unwrap();
    assert_eq!(status["step"], "PACKAGE_STEP_PROCESSED", "{status}");
    let database = work.path().join("mine.sqlite");
    cli.ok(&["package", "fetch", &link, "--output", database.to_str().unwrap()]).await;
    expected.assert_matches(&read_tables(&database));

    let wrong = discord_key(62);
    let refused = cli.fails(&["package", "status", &format!("{}x", &key[..key.len() - 1])]).await;
    assert!(refused.contains("does not open") || refused.contains("no such package"), "{refused}");
    assert!(cli.fails(&["package", "fetch", &wrong]).await.contains("no result"));
    assert_eq!(cli.ok(&["package", "delete", &key]).await, format!("{id}\tdeleted\n"));
    assert!(cli.fails(&["package", "status", &key]).await.contains("no such package"));

    // A zip on this machine is uploaded, one in cordvault named by its
    // path; both under a key made here, printed once, and signed in only.
    let own = work.path().join("downloaded.zip");
    let expected = generate(&PackageSpec::small(63, PackageLayout::Current), &own).unwrap();
    let own_path = own.to_str().unwrap();
    assert!(cli.fails(&["package", "submit", own_path]).await.contains("not logged in"));
    let cli = Cli::logged_in(&server).await;
    let missing = work.path().join("no-such.zip");
    let refused = cli.fails(&["package", "submit", missing.to_str().unwrap()]).await;
    assert!(refused.contains("cannot open the zip"), "{refused}");
    for submitted in [cli.ok(&["package", "submit", own_path, "--wait"]).await, {
        cli.ok(&["put", own_path, "/package.zip"]).await;
        cli.ok(&["package", "submit", "--stored", "/package.zip", "--wait"]).await
    }] {
        let lines: Vec<&str> = submitted.lines().collect();
        let [queued, key_line] = lines[..] else { panic!("{submitted}") };
        let key = key_line.strip_prefix("key\t").unwrap();
        let id = queued.strip_suffix("\tqueued").unwrap();
        assert_eq!(id, package_id(key));
        let database = work.path().join(format!("{id}.sqlite"));
        cli.ok(&["package", "fetch", key, "--output", database.to_str().unwrap()]).await;
        expected.clone().with_package_id(id).assert_matches(&read_tables(&database));
    }
    server.shutdown().await;
}

impl Cli {
    fn new(server: &TestServer) -> Cli {
        Cli { server_url: server.url.clone(), config_dir: tempfile::tempdir().expect("config dir") }
    }

    /// A CLI logged in as the first user (an administrator).
    async fn logged_in(server: &TestServer) -> Cli {
        let cli = Cli::new(server);
        cli.ok(&["register", "admin", "--password", PASSWORD]).await;
        cli.ok(&["login", "admin", "--password", PASSWORD]).await;
        cli
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cordvault"));
        command
            .args(args)
            .env("CORDVAULT_SERVER", &self.server_url)
            .env("CORDVAULT_CONFIG_DIR", self.config_dir.path())
            .env_remove("CORDVAULT_TOKEN")
            .env_remove("CORDVAULT_PASSWORD")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.expect("the CLI runs")
    }

    async fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child =
            self.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).await.unwrap();
        child.wait_with_output().await.unwrap()
    }

    /// Stdout of a command that must succeed.
    async fn ok(&self, args: &[&str]) -> String {
        succeeded(args, self.run(args).await)
    }

    /// The one stderr line of a command that must fail.
    async fn fails(&self, args: &[&str]) -> String {
        failed_with_one_line(args, self.run(args).await)
    }
}

fn succeeded(args: &[&str], output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cordvault {args:?} failed ({}): {stderr}", output.status);
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

fn failed_with_one_line(args: &[&str], output: Output) -> String {
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    assert!(!output.status.success(), "cordvault {args:?} should fail; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "cordvault {args:?} panicked: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "cordvault {args:?} should fail with one line, not: {stderr}");
    assert!(lines[0].starts_with("cordvault: "), "cordvault {args:?}: {stderr}");
    lines[0].to_owned()
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|line| serde_json::from_str(line).expect("one JSON object per line")).collect()
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

async fn file_sha256(path: PathBuf) -> String {
    tokio::task::spawn_blocking(move || sha256_hex(&std::fs::read(&path).expect("read back"))).await.unwrap()
}

/// Writes `count` small files (0..4000 bytes), every tenth one in `nested/`.
async fn write_small_files(dir: &Path, count: u64) {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(dir.join("nested")).unwrap();
        let sizes = random_bytes(count as usize * 2, 99);
        for index in 0..count {
            let at = index as usize * 2;
            let size = u16::from_le_bytes([sizes[at], sizes[at + 1]]) % 4000;
            let name = if index % 10 == 0 { format!("nested/file-{index}.dat") } else { format!("file-{index}.dat") };
            std::fs::write(dir.join(name), random_bytes(size.into(), 1000 + index)).unwrap();
        }
    })
    .await
    .unwrap();
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let files = cordvault_test_support::files_under(dir);
    files.into_iter().map(|path| path.strip_prefix(dir).unwrap().to_owned()).collect()
}

/// The whole CLI tour: register, log in, mkdir, put a 300 MiB file and a
/// directory of 1,000 small files, ls, get them back, compare.
async fn round_trip_on(server: TestServer, big_chunks: u64) {
    let started = Instant::now();
    let cli = Cli::new(&server);
    let args = ["register", "admin"];
    succeeded(&args, cli.run_with_stdin(&args, &format!("{PASSWORD}\n")).await);
    cli.ok(&["login", "admin", "--password", PASSWORD]).await;
    let credentials = cli.config_dir.path().join("credentials.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&credentials).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(cli.ok(&["whoami"]).await.trim(), "admin (administrator)");
    cli.ok(&["mkdir", "-p", "/a/b"]).await;

    let local = tempfile::tempdir().unwrap();
    let big = local.path().join("big.bin");
    let big_data = random_bytes(300 << 20, 1);
    tokio::fs::write(&big, &big_data).await.unwrap();
    let big_sha = sha256_hex(&big_data);
    drop(big_data);
    let small = local.path().join("small");
    write_small_files(&small, 1000).await;
    println!("fixtures ready after {:?}", started.elapsed());

    let reports = json_lines(&cli.ok(&["put", text(&big), "/a/b", "--json"]).await);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["path"], "/a/b/big.bin");
    assert_eq!(reports[0]["chunk_count"], big_chunks);
    assert_eq!(reports[0]["skipped"], false);
    println!("big put after {:?}", started.elapsed());
    // Small files cost round trips, not bandwidth: more at once is faster.
    let reports = json_lines(&cli.ok(&["put", text(&small), "/a", "--json", "--parallel", "16"]).await);
    assert_eq!(reports.len(), 1000);
    assert!(reports.iter().all(|report| report["skipped"] == false));
    println!("small put after {:?}", started.elapsed());

    assert_eq!(cli.ok(&["ls", "/a"]).await, "b/\nsmall/\n");
    assert_eq!(cli.ok(&["ls", "/a/b"]).await, "big.bin\n");
    let long = cli.ok(&["ls", "-l", "/a/b"]).await;
    assert!(long.contains("file") && long.contains(&(300u64 << 20).to_string()) && long.contains("admin"), "{long}");
    let listed = cli.ok(&["ls", "/a/small"]).await;
    assert!(listed.starts_with("nested/\n") && listed.lines().count() == 901, "{listed}");

    // Files already there with the same content are skipped.
    let again = json_lines(&cli.ok(&["put", text(&small), "/a", "--json"]).await);
    assert!(again.len() == 1000 && again.iter().all(|report| report["skipped"] == true));
    println!("skipping put after {:?}", started.elapsed());

    let back = tempfile::tempdir().unwrap();
    cli.ok(&["get", "/a/b/big.bin", text(back.path())]).await;
    assert_eq!(file_sha256(back.path().join("big.bin")).await, big_sha);
    println!("big get after {:?}", started.elapsed());
    cli.ok(&["get", "-r", "/a/small", text(back.path()), "--parallel", "16"]).await;
    println!("small get after {:?}", started.elapsed());
    let originals = files_under(&small);
    assert_eq!(originals.len(), 1000);
    assert_eq!(files_under(&back.path().join("small")), originals);
    for relative in originals {
        let (original, copy) = (small.join(&relative), back.path().join("small").join(&relative));
        assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&original).unwrap(), "{}", relative.display());
    }
    println!("compared after {:?}", started.elapsed());
    server.shutdown().await;
    println!("round trip took {:?}", started.elapsed());
}

/// Chunk objects the server holds (its `tmp` staging directory excluded).
fn stored_chunks(chunk_dir: &Path) -> usize {
    let Ok(shards) = std::fs::read_dir(chunk_dir) else { return 0 };
    shards
        .filter_map(Result::ok)
        .filter(|shard| shard.file_name() != "tmp" && shard.path().is_dir())
        .map(|shard| std::fs::read_dir(shard.path()).map(|objects| objects.count()).unwrap_or(0))
        .sum()
}

/// Kills a put once `stored()` objects are in the store, runs it again, and
/// checks that only the missing chunks were sent.
async fn interrupted_put_resumes_on(server: TestServer, stored: impl Fn() -> usize) {
    let cli = Cli::logged_in(&server).await;
    let local = tempfile::tempdir().unwrap();
    let big = local.path().join("big.bin");
    let data = random_bytes(200 << 20, 2);
    tokio::fs::write(&big, &data).await.unwrap();
    let sha = sha256_hex(&data);
    drop(data);

    let args = ["put", text(&big), "/big.bin", "--json", "--streams", "2"];
    let mut first = cli.command(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A few chunks past 20: an object may be stored but not yet recorded
    // as durable when the process dies.
    let deadline = Instant::now() + Duration::from_secs(120);
    while stored() < 24 {
        assert!(first.try_wait().unwrap().is_none(), "the upload ended before it could be interrupted");
        assert!(Instant::now() < deadline, "the upload made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill().await.unwrap();

    let report = json_lines(&cli.ok(&args).await).remove(0);
    assert_eq!(report["resumed"], true, "{report}");
    assert_eq!(report["skipped"], false, "{report}");
    assert_eq!(report["chunk_count"], 200, "{report}");
    let durable = report["chunks_already_durable"].as_u64().unwrap();
    assert!((20..200).contains(&durable), "{report}");
    assert_eq!(report["chunks_sent"].as_u64().unwrap(), 200 - durable, "only the missing chunks go: {report}");

    let back = local.path().join("back.bin");
    cli.ok(&["get", "/big.bin", text(&back)]).await;
    assert_eq!(file_sha256(back).await, sha);
    server.shutdown().await;
}

async fn errors_are_one_line(backend: Backend) {
    let server = TestServer::start(backend).await;
    let cli = Cli::new(&server);
    let line = cli.fails(&["whoami"]).await;
    assert!(line.contains("not logged in") && line.contains("cordvault login"), "{line}");
    cli.ok(&["register", "admin", "--password", PASSWORD]).await;
    let line = cli.fails(&["login", "admin", "--password", "not the password"]).await;
    assert!(line.contains("wrong username or password"), "{line}");
    cli.ok(&["login", "admin", "--password", PASSWORD]).await;

    let line = cli.fails(&["ls", "/nope"]).await;
    assert!(line.contains("/nope"), "{line}");
    let local = tempfile::tempdir().unwrap();
    let line = cli.fails(&["get", "/missing.bin", text(&local.path().join("x"))]).await;
    assert!(line.contains("/missing.bin"), "{line}");
    let missing = local.path().join("does-not-exist");
    let line = cli.fails(&["put", text(&missing), "/"]).await;
    assert!(line.contains(text(&missing)), "{line}");
    let line = cli.fails(&["mkdir", "/p/q"]).await;
    assert!(line.contains("-p"), "{line}");
    cli.ok(&["mkdir", "/p"]).await;
    cli.fails(&["mkdir", "/p"]).await;
    cli.ok(&["mkdir", "-p", "/p"]).await;
    let line = cli.fails(&["get", "/p", text(local.path())]).await;
    assert!(line.contains("-r"), "{line}");

    let file = local.path().join("f.txt");
    std::fs::write(&file, b"one").unwrap();
    cli.ok(&["put", text(&file), "/p/f.txt"]).await;
    std::fs::write(&file, b"two").unwrap();
    let line = cli.fails(&["put", text(&file), "/p/f.txt"]).await;
    assert!(line.contains("--overwrite"), "{line}");
    cli.ok(&["put", text(&file), "/p/f.txt", "--overwrite"]).await;
    cli.fails(&["rm", "/p"]).await;
    cli.ok(&["rm", "-r", "/p"]).await;

    let unreachable = ["--server", "http://127.0.0.1:1", "ls"];
    let line = failed_with_one_line(&unreachable, cli.run(&unreachable).await);
    assert!(line.contains("127.0.0.1:1"), "{line}");
    let output = cli.run(&["--token", "garbage", "whoami"]).await;
    let line = failed_with_one_line(&["whoami"], output);
    assert!(line.contains("cordvault login"), "{line}");
    server.shutdown().await;
}

async fn get_range(backend: Backend) {
    let server = TestServer::start(backend).await;
    let cli = Cli::logged_in(&server).await;
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("data.bin");
    let data = random_bytes(3 * (1 << 20) + 10_000, 3);
    std::fs::write(&file, &data).unwrap();
    cli.ok(&["put", text(&file), "/data.bin"]).await;

    let part = local.path().join("part.bin");
    cli.ok(&["get", "/data.bin", text(&part), "--range", "100-199"]).await;
    assert_eq!(std::fs::read(&part).unwrap(), &data[100..=199]);
    // Across a chunk boundary, and open-ended to the end.
    let boundary = (1 << 20) - 10;
    let range = format!("{boundary}-{}", boundary + 19);
    cli.ok(&["get", "/data.bin", text(&part), "--range", &range]).await;
    assert_eq!(std::fs::read(&part).unwrap(), &data[boundary..boundary + 20]);
    let tail_start = data.len() - 10;
    cli.ok(&["get", "/data.bin", text(&part), "--range", &format!("{tail_start}-")]).await;
    assert_eq!(std::fs::read(&part).unwrap(), &data[tail_start..]);

    let past_end = format!("{}-", data.len());
    cli.fails(&["get", "/data.bin", text(&part), "--range", &past_end]).await;
    server.shutdown().await;
}

async fn admin_commands(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Cli::logged_in(&server).await;
    assert_eq!(admin.ok(&["admin", "create", "bob", "--password", "bob-password"]).await, "created bob (user)\n");
    assert_eq!(admin.ok(&["admin", "users"]).await, "admin (administrator)\nbob (user)\n");

    let bob = Cli::new(&server);
    bob.ok(&["login", "bob", "--password", "bob-password"]).await;
    let line = bob.fails(&["admin", "users"]).await;
    assert!(line.contains("only an administrator"), "{line}");
    assert_eq!(admin.ok(&["admin", "set-admin", "bob"]).await, "bob (administrator)\n");
    assert_eq!(admin.ok(&["admin", "set-admin", "bob", "--off"]).await, "bob (user)\n");
    let line = admin.fails(&["admin", "set-admin", "admin", "--off"]).await;
    assert!(line.contains("last administrator"), "{line}");

    // A reset ends bob's saved token; the new password works.
    admin.ok(&["admin", "reset-password", "bob", "--password", "bob-new-password"]).await;
    bob.fails(&["whoami"]).await;
    // A fresh config directory: `login` still sends the revoked saved token,
    // which the server refuses (a known CLI issue, reported separately).
    let bob = Cli::new(&server);
    bob.ok(&["login", "bob", "--password", "bob-new-password"]).await;
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("notes.txt");
    std::fs::write(&file, b"bob's notes").unwrap();
    bob.ok(&["put", text(&file), "/notes.txt"]).await;

    let line = admin.fails(&["admin", "delete", "admin", "--transfer-to", "bob"]).await;
    assert!(line.contains("your own account"), "{line}");
    let deleted = admin.ok(&["admin", "delete", "bob", "--transfer-to", "admin"]).await;
    assert_eq!(deleted, "deleted bob; 1 files and folders given to admin\n");
    assert_eq!(admin.ok(&["admin", "users"]).await, "admin (administrator)\n");
    let listing = admin.ok(&["ls", "-l", "/"]).await;
    assert!(listing.contains("admin  notes.txt"), "{listing}");
    bob.fails(&["whoami"]).await;
    server.shutdown().await;
}

async fn link_commands(backend: Backend) {
    let server = TestServer::start(backend).await;
    let cli = Cli::logged_in(&server).await;
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("shared.txt");
    std::fs::write(&file, b"for everyone").unwrap();
    cli.ok(&["put", text(&file), "/shared.txt"]).await;

    let open = cli.ok(&["link", "create", "/shared.txt"]).await;
    let prefix = format!("{}/s/", server.url);
    assert!(open.starts_with(&prefix) && open.ends_with('\n'), "{open}");
    let open_id = open.trim().trim_start_matches(&prefix).to_owned();
    let args =
        ["link", "create", "shared.txt", "--expires", "2h", "--password", "pw", "--max-downloads", "3", "--json"];
    let created = &json_lines(&cli.ok(&args).await)[0];
    assert_eq!(created["path"], "/shared.txt");
    assert_eq!((created["has_password"].as_bool(), created["max_downloads"].as_u64()), (Some(true), Some(3)));
    let guarded_id = created["id"].as_str().unwrap().to_owned();

    let listing = cli.ok(&["link", "ls"]).await;
    assert_eq!(listing.lines().count(), 2, "{listing}");
    let guarded = listing.lines().find(|line| line.starts_with(&guarded_id)).expect("listed");
    assert!(guarded.contains("alive") && guarded.contains("0/3") && guarded.contains("in 1h 59m"), "{guarded}");
    assert!(guarded.contains("password") && guarded.contains("/shared.txt"), "{guarded}");
    let listed: Vec<Value> = json_lines(&cli.ok(&["link", "ls", "--all", "--json"]).await);
    assert!(listed.iter().all(|link| link["created_by"] == "admin" && link["alive"] == true), "{listed:?}");

    cli.ok(&["link", "revoke", &open_id]).await;
    let listing = cli.ok(&["link", "ls"]).await;
    assert!(listing.starts_with(&guarded_id) && listing.lines().count() == 1, "{listing}");
    let line = cli.fails(&["link", "revoke", &open_id]).await;
    assert!(line.contains("there is no link"), "{line}");
    let line = cli.fails(&["link", "create", "/missing.txt"]).await;
    assert!(line.contains("/missing.txt"), "{line}");
    let usage = cli.run(&["link", "create", "/shared.txt", "--expires", "soon"]).await;
    assert!(!usage.status.success() && String::from_utf8_lossy(&usage.stderr).contains("30m, 12h or 7d"));

    cli.ok(&["admin", "create", "bob", "--password", "bob-password"]).await;
    let bob = Cli::new(&server);
    bob.ok(&["login", "bob", "--password", "bob-password"]).await;
    let line = bob.fails(&["link", "ls", "--all"]).await;
    assert!(line.contains("only an administrator"), "{line}");
    let line = bob.fails(&["link", "revoke", &guarded_id]).await;
    assert!(line.contains("another user"), "{line}");
    let line = bob.fails(&["link", "create", "/shared.txt"]).await;
    assert!(line.contains("read-only for you"), "{line}");
    server.shutdown().await;
}

/// `cordvault ssh-key` and `cordvault app-password`: keys added from a file
/// and from stdin, listed, removed by id and by fingerprint; an app password
/// created (its secret shown once), logged in with, listed, revoked.
async fn ssh_key_and_app_password_commands(backend: Backend) {
    let server = TestServer::start(backend).await;
    let cli = Cli::logged_in(&server).await;
    let local = tempfile::tempdir().unwrap();
    let (laptop, desktop) =
        (cordvault_sftp::HostKey::generate().unwrap(), cordvault_sftp::HostKey::generate().unwrap());
    let pub_file = local.path().join("id_ed25519.pub");
    std::fs::write(&pub_file, format!("{} admin@laptop\n", laptop.public_key_openssh())).unwrap();

    let added = cli.ok(&["ssh-key", "add", text(&pub_file)]).await;
    assert!(added.starts_with(&format!("added {} (ssh-ed25519) as key ", laptop.fingerprint())), "{added}");
    let laptop_id = added.trim().rsplit(' ').next().unwrap().to_owned();
    let piped = cli.run_with_stdin(&["ssh-key", "add", "-"], &desktop.public_key_openssh()).await;
    let added = succeeded(&["ssh-key", "add", "-"], piped);
    assert!(added.contains(&desktop.fingerprint()), "{added}");

    let listing = cli.ok(&["ssh-key", "ls"]).await;
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(lines[0].starts_with(&format!("{laptop_id}  {}  ssh-ed25519", laptop.fingerprint())), "{listing}");
    assert!(lines[0].ends_with("  admin@laptop") && lines[1].ends_with("  -"), "{listing}");
    let listed = json_lines(&cli.ok(&["ssh-key", "ls", "--json"]).await);
    assert_eq!(listed[1]["fingerprint"], desktop.fingerprint().as_str());

    // Refusals are one line each.
    let line = cli.fails(&["ssh-key", "add", text(&pub_file)]).await;
    assert!(line.contains("already"), "{line}");
    let private = local.path().join("id_ed25519");
    std::fs::write(&private, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n")
        .unwrap();
    let line = cli.fails(&["ssh-key", "add", text(&private)]).await;
    assert!(line.contains("private key") && line.contains(".pub"), "{line}");
    std::fs::write(&private, format!("no-pty {}", laptop.public_key_openssh())).unwrap();
    let line = cli.fails(&["ssh-key", "add", text(&private)]).await;
    assert!(line.contains("options"), "{line}");
    let line = cli.fails(&["ssh-key", "add", text(&local.path().join("missing.pub"))]).await;
    assert!(line.contains("cannot open"), "{line}");

    assert_eq!(cli.ok(&["ssh-key", "rm", &laptop_id]).await, format!("removed key {laptop_id}\n"));
    let removed = cli.ok(&["ssh-key", "rm", &desktop.fingerprint()]).await;
    assert!(removed.starts_with("removed key "), "{removed}");
    assert_eq!(cli.ok(&["ssh-key", "ls"]).await, "");
    let line = cli.fails(&["ssh-key", "rm", &laptop_id]).await;
    assert!(line.contains(&format!("no SSH key {laptop_id}")), "{line}");
    let line = cli.fails(&["ssh-key", "rm", &laptop.fingerprint()]).await;
    assert!(line.contains("no SSH key SHA256:"), "{line}");

    // An app password: the secret alone on stdout, the note on stderr.
    let created = cli.run(&["app-password", "create", "laptop webdav"]).await;
    let stderr = String::from_utf8_lossy(&created.stderr).into_owned();
    let secret = succeeded(&["app-password", "create"], created).trim().to_owned();
    assert_eq!(secret.len(), 32, "{secret}");
    assert!(stderr.contains("not shown again") && stderr.contains("laptop webdav"), "{stderr}");
    let other = Cli::new(&server);
    other.ok(&["login", "admin", "--password", &secret]).await;
    assert_eq!(other.ok(&["whoami"]).await, "admin (administrator)\n");

    let listing = cli.ok(&["app-password", "ls"]).await;
    assert!(!listing.contains(&secret), "{listing}");
    let line = listing.lines().next().unwrap();
    assert!(line.contains(" used ") && line.ends_with("  laptop webdav") && listing.lines().count() == 1, "{listing}");
    let id = line.split(' ').next().unwrap().to_owned();
    let listed = json_lines(&cli.ok(&["app-password", "ls", "--json"]).await);
    assert!(listed[0].get("secret").is_none() && listed[0]["label"] == "laptop webdav", "{listed:?}");
    let json = json_lines(&cli.ok(&["app-password", "create", "phone", "--json"]).await);
    assert_eq!(json[0]["secret"].as_str().unwrap().len(), 32);

    assert_eq!(cli.ok(&["app-password", "revoke", &id]).await, format!("revoked app password {id}\n"));
    let line = Cli::new(&server).fails(&["login", "admin", "--password", &secret]).await;
    assert!(line.contains("wrong username or password"), "{line}");
    let line = cli.fails(&["app-password", "revoke", &id]).await;
    assert!(line.contains("no app password"), "{line}");
    let line = cli.fails(&["app-password", "create", " "]).await;
    assert!(line.contains("label"), "{line}");
    assert_eq!(cli.ok(&["app-password", "ls"]).await.lines().count(), 1);
    let line = Cli::new(&server).fails(&["ssh-key", "ls"]).await;
    assert!(line.contains("not logged in"), "{line}");
    server.shutdown().await;
}
