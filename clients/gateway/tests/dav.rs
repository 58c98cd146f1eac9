//! WebDAV under `/dav/` on the manager's port (the gateway in-process) and
//! from a standalone `cordvault-gateway`, on SQLite and PostgreSQL: litmus,
//! the protocol's own test suite, and what users, other users and a
//! killed gateway leave behind.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use cordvault_client::proto::{self as pb, ShareLevel};
use cordvault_client::{Client, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes, sha256_hex};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

backend_tests!(
    litmus_passes_every_test,
    webdav_round_trip_ranges_and_sharing,
    wrong_credentials_get_a_challenge,
    a_gateway_killed_mid_put_leaves_nothing_behind,
    downloads_nobody_reads_stall_nobody_else,
);

/// A WebDAV client signed in as one user.
struct Dav {
    http: reqwest::Client,
    base: String,
    user: String,
    password: String,
}

impl Dav {
    fn new(base: &str, user: &str, password: &str) -> Dav {
        Dav {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
        }
    }

    fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        self.http.request(method, format!("{}{path}", self.base)).basic_auth(&self.user, Some(&self.password))
    }

    async fn send(&self, method: &str, path: &str) -> reqwest::Response {
        self.request(method, path).send().await.unwrap()
    }

    async fn put(&self, path: &str, body: Bytes) -> StatusCode {
        self.request("PUT", path).body(body).send().await.unwrap().status()
    }

    async fn propfind(&self, path: &str, depth: &str, body: &'static str) -> (StatusCode, String) {
        let response = self
            .request("PROPFIND", path)
            .header("Depth", depth)
            .header("Content-Type", "application/xml")
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }
}

fn dav_base(server: &TestServer) -> String {
    format!("{}/dav", server.url)
}

async fn app_password(client: &Client) -> String {
    client.create_app_password("webdav").await.expect("app password").secret
}

async fn litmus_passes_every_test(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let password = app_password(&alice).await;
    let work = tempfile::tempdir().unwrap();
    // -k keeps going after a failing group (and then exits 0 whatever
    // happened), so the verdict is read from the summaries.
    let output = Command::new("litmus")
        .args(["-k", &format!("{}/", dav_base(&server)), "alice", &password])
        .current_dir(work.path())
        .env("TESTS", "basic copymove props locks http")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("litmus is installed (.ci/install)");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    let (mut run, mut passed) = (0, 0);
    for line in report.lines().filter(|line| line.starts_with("<- summary for")) {
        // "<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%"
        let numbers: Vec<u32> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .filter_map(|part| part.parse().ok())
            .collect();
        run += numbers[0];
        passed += numbers[1];
    }
    assert_eq!((run, passed), (104, 104), "litmus:\n{report}");
    server.shutdown().await;
}

async fn webdav_round_trip_ranges_and_sharing(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.chunk_size = 1 << 20).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let dav = Dav::new(&dav_base(&server), "alice", &app_password(&alice).await);

    // Folders and files up; a streamed PUT of several chunks.
    assert_eq!(dav.send("MKCOL", "/docs").await.status(), StatusCode::CREATED);
    assert_eq!(dav.send("MKCOL", "/docs").await.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(dav.send("MKCOL", "/missing/child").await.status(), StatusCode::CONFLICT);
    let big = random_bytes(5 * 1024 * 1024 + 77, 1);
    assert_eq!(dav.put("/docs/big.bin", big.clone()).await, StatusCode::CREATED);
    assert_eq!(dav.put("/docs/empty.txt", Bytes::new()).await, StatusCode::CREATED);
    assert_eq!(dav.put("/docs/héllo wörld ☃.txt", Bytes::from_static(b"unicode\n")).await, StatusCode::CREATED);
    assert_eq!(dav.put("/nowhere/file.txt", Bytes::from_static(b"x")).await, StatusCode::CONFLICT);
    let stored = alice.stat("/docs/big.bin").await.unwrap();
    assert_eq!(stored.sha256, sha256_hex(&big));
    assert_eq!(alice.stat("/docs/empty.txt").await.unwrap().size, 0);

    // Down again, whole and by ranges; the ETag is the content hash.
    let response = dav.send("GET", "/docs/big.bin").await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = cordvault_gateway::dav::content_etag(&stored.sha256).unwrap();
    assert_eq!(response.headers()["etag"].to_str().unwrap(), format!("\"{etag}\""));
    assert_eq!(response.bytes().await.unwrap(), big);
    for (start, end) in [(0u64, 0u64), (1_048_570, 1_048_590), (5 * 1024 * 1024, 5 * 1024 * 1024 + 76)] {
        let response = dav.request("GET", "/docs/big.bin").header("Range", format!("bytes={start}-{end}")).send().await;
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(response.bytes().await.unwrap(), big.slice(start as usize..=end as usize));
    }
    let head = dav.send("HEAD", "/docs/big.bin").await;
    assert_eq!(head.headers()["content-length"].to_str().unwrap(), big.len().to_string());

    // A listing, and the account's quota.
    let (status, listing) = dav.propfind("/docs/", "1", ALLPROP).await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    for name in ["big.bin", "empty.txt", "h%C3%A9llo%20w%C3%B6rld%20%E2%98%83.txt"] {
        assert!(listing.contains(&format!("/dav/docs/{name}")), "{name} in {listing}");
    }
    let (status, quota) = dav.propfind("/", "0", QUOTA).await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert!(quota.contains(&format!(">{}<", alice.quota().await.unwrap().used_bytes)), "{quota}");

    // MOVE and COPY, DELETE.
    let moved = dav.request("MOVE", "/docs/empty.txt").header("Destination", format!("{}/moved.txt", dav.base));
    assert_eq!(moved.send().await.unwrap().status(), StatusCode::CREATED);
    let copied = dav.request("COPY", "/docs/big.bin").header("Destination", format!("{}/copy.bin", dav.base));
    assert_eq!(copied.send().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(alice.stat("/copy.bin").await.unwrap().sha256, stored.sha256);
    assert_eq!(dav.send("DELETE", "/moved.txt").await.status(), StatusCode::NO_CONTENT);
    assert!(alice.stat("/moved.txt").await.is_err());
    assert!(alice.stat("/docs/empty.txt").await.is_err());

    // An If header cut short is refused, and changes nothing.
    let cut = dav.request("PUT", "/docs/big.bin").header("If", "(<urn:uuid:1> [\"abc").body("x").send().await.unwrap();
    assert_eq!(cut.status(), StatusCode::BAD_REQUEST);
    assert_eq!(alice.stat("/docs/big.bin").await.unwrap().sha256, stored.sha256);

    // Bob reads what alice shared with him, read-only, and nothing else.
    alice.create_folder("/private").await.unwrap();
    alice.upload_bytes(random_bytes(100, 3), "/private/secret.bin", &UploadOptions::default()).await.unwrap();
    alice.share("/docs", "bob", ShareLevel::Read).await.unwrap();
    let bobs = Dav::new(&dav.base, "bob", "bob-password");
    assert_eq!(bobs.send("GET", "/docs/big.bin").await.bytes().await.unwrap(), big);
    assert_eq!(bobs.put("/docs/from-bob.bin", Bytes::from_static(b"no")).await, StatusCode::FORBIDDEN);
    assert_eq!(bobs.put("/docs/big.bin", Bytes::from_static(b"no")).await, StatusCode::FORBIDDEN);
    assert_eq!(bobs.send("DELETE", "/docs/big.bin").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(bobs.send("MKCOL", "/docs/bobs").await.status(), StatusCode::FORBIDDEN);
    let secret = bobs.send("GET", "/private/secret.bin").await.status();
    assert!(secret == StatusCode::FORBIDDEN || secret == StatusCode::NOT_FOUND, "{secret}");
    assert_eq!(alice.stat("/docs/big.bin").await.unwrap().sha256, stored.sha256, "alice's file untouched");
    assert!(bob.stat("/docs/from-bob.bin").await.is_err());

    // Over quota: the reason, not a generic failure.
    let admin = server.admin().await;
    let quota = pb::SetQuotaRequest { username: "alice".into(), max_bytes: Some(16 << 20), ..Default::default() };
    admin.admin().unwrap().set_quota(quota).await.unwrap();
    assert_eq!(dav.put("/docs/more.bin", random_bytes(8 * 1024 * 1024, 4)).await, StatusCode::INSUFFICIENT_STORAGE);
    assert!(alice.stat("/docs/more.bin").await.is_err());
    server.shutdown().await;
}

const ALLPROP: &str = r#"<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>"#;
const QUOTA: &str = r#"<?xml version="1.0"?><propfind xmlns="DAV:"><prop><quota-used-bytes/><quota-available-bytes/></prop></propfind>"#;

async fn wrong_credentials_get_a_challenge(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.upload_bytes(Bytes::from_static(b"mine"), "/mine.txt", &UploadOptions::default()).await.unwrap();
    let base = dav_base(&server);
    let anonymous = reqwest::Client::new().get(format!("{base}/mine.txt")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic realm="));
    for (user, password) in [("alice", "wrong"), ("nobody", "alice-password"), ("alice", "")] {
        let status = Dav::new(&base, user, password).send("GET", "/mine.txt").await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{user}/{password}");
    }
    // The account password works too, and so does an app password.
    assert_eq!(Dav::new(&base, "alice", "alice-password").send("GET", "/mine.txt").await.status(), StatusCode::OK);
    let laptop = Dav::new(&base, "alice", &app_password(&alice).await);
    assert_eq!(laptop.send("GET", "/mine.txt").await.text().await.unwrap(), "mine");
    server.shutdown().await;
}

/// A standalone gateway serving WebDAV.
async fn start_gateway(server: &TestServer, staging: &Path) -> (Child, String) {
    let mut process = Command::new(env!("CARGO_BIN_EXE_cordvault-gateway"))
        .args(["--manager", &server.url, "--sftp-listen", "127.0.0.1:0", "--dav-listen", "127.0.0.1:0"])
        .arg("--host-key")
        .arg(staging.join("host_key"))
        .arg("--staging-dir")
        .arg(staging)
        .env_remove("SERVICE_PASSWORD")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the gateway");
    let mut stdout = BufReader::new(process.stdout.take().unwrap()).lines();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(60), stdout.next_line())
            .await
            .expect("the gateway starts in time")
            .unwrap()
            .expect("the gateway prints where it listens");
        if let Some(url) = line.strip_prefix("webdav listening on ") {
            // The rest of its output still needs a reader.
            tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
            return (process, url.trim_end_matches('/').to_owned());
        }
    }
}

async fn a_gateway_killed_mid_put_leaves_nothing_behind(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.chunk_size = 1 << 20).await;
    let alice = server.user("alice").await;
    let staging = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let big = random_bytes(64 * 1024 * 1024, 5);
    std::fs::write(work.path().join("big.bin"), &big).unwrap();

    let (mut gateway, base) = start_gateway(&server, staging.path()).await;
    // curl, slowed down, so that the gateway dies mid-body.
    let mut upload = Command::new("curl")
        .args(["-sS", "--limit-rate", "8M", "-u", "alice:alice-password", "-T"])
        .arg(work.path().join("big.bin"))
        .arg(format!("{base}/big.bin"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("curl is installed");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while alice.quota().await.unwrap().open_upload_sessions == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the upload did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    gateway.start_kill().unwrap();
    gateway.wait().await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), upload.wait()).await.expect("curl ends").unwrap();
    assert!(!status.success(), "the upload cannot have succeeded");
    assert!(alice.list("/").await.unwrap().is_empty(), "a killed upload left an entry");

    // Again, through a new gateway.
    let (_gateway, base) = start_gateway(&server, staging.path()).await;
    let dav = Dav::new(&base, "alice", "alice-password");
    assert_eq!(dav.put("/big.bin", big.clone()).await, StatusCode::CREATED);
    assert_eq!(alice.stat("/big.bin").await.unwrap().sha256, sha256_hex(&big));
    server.shutdown().await;
}

async fn downloads_nobody_reads_stall_nobody_else(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.chunk_size = 1 << 20).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let big = random_bytes(32 * 1024 * 1024, 6);
    alice.upload_bytes(big.clone(), "/big.bin", &UploadOptions::default()).await.unwrap();
    alice.share("/big.bin", "bob", ShareLevel::Read).await.unwrap();
    bob.upload_bytes(Bytes::from_static(b"bob's"), "/bob.txt", &UploadOptions::default()).await.unwrap();
    let base = dav_base(&server);
    let alices = Dav::new(&base, "alice", "alice-password");
    let bobs = Dav::new(&base, "bob", "bob-password");

    // Alice starts several downloads and reads none of them past the start.
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let mut response = alices.send("GET", "/big.bin").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.chunk().await.unwrap().unwrap().is_empty());
        stalled.push(response);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Bob is served, and so is alice's next request.
    let served = async {
        assert_eq!(bobs.send("GET", "/bob.txt").await.text().await.unwrap(), "bob's");
        assert_eq!(bobs.send("GET", "/big.bin").await.bytes().await.unwrap(), big);
        assert_eq!(alices.send("GET", "/big.bin").await.bytes().await.unwrap(), big);
    };
    tokio::time::timeout(Duration::from_secs(60), served).await.expect("stalled downloads held up other requests");
    drop(stalled);
    server.shutdown().await;
}
