//! `/download` and `/bulk-download` through raw HTTP requests.

use std::collections::BTreeMap;

use cordvault_client::proto::{self as pb, ShareLevel};
use cordvault_client::{Client, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes, sha256_hex};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

backend_tests!(
    ranges_follow_rfc_9110,
    a_stalled_client_is_dropped,
    download_needs_a_token_and_read_access,
    zip_holds_exactly_the_readable_files,
    zip_of_seventy_thousand_entries_is_zip64,
    zip_entries_carry_times_and_modes,
    a_damaged_file_breaks_the_zip,
);

/// 1 MiB chunks (the test default): 2.5 MiB crosses two chunk boundaries
/// and many 64 KiB block boundaries.
const SIZE: usize = 5 * 512 * 1024 + 123;
const CHUNK: usize = 1024 * 1024;

struct Http {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Http {
    fn new(server: &TestServer, client: &Client) -> Http {
        Http { client: reqwest::Client::new(), base: server.url.clone(), token: client.token().unwrap().to_owned() }
    }

    async fn get(&self, route: &str, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        self.request(reqwest::Method::GET, route, path, headers).await
    }

    async fn request(
        &self,
        method: reqwest::Method,
        route: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{route}", self.base))
            .query(&[("path", path)])
            .bearer_auth(&self.token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map(|value| value.to_str().unwrap()).unwrap_or_default()
}

/// Splits a multipart/byteranges body into (Content-Range, bytes) parts.
fn multipart_parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type.split("boundary=").nth(1).expect("boundary").trim_matches('"');
    let delimiter = format!("\r\n--{boundary}");
    let text = body;
    let mut parts = Vec::new();
    let mut position = 0;
    let find =
        |from: usize, needle: &[u8]| text[from..].windows(needle.len()).position(|w| w == needle).map(|at| at + from);
    while let Some(start) = find(position, delimiter.as_bytes()) {
        let after = start + delimiter.len();
        if text[after..].starts_with(b"--") {
            break;
        }
        let headers_end = find(after, b"\r\n\r\n").expect("part headers end");
        let headers = String::from_utf8(text[after..headers_end].to_vec()).unwrap();
        let content_range = headers
            .lines()
            .find_map(|line| line.strip_prefix("Content-Range: "))
            .expect("part has Content-Range")
            .to_owned();
        let range: Vec<u64> =
            content_range.trim_start_matches("bytes ").split(['-', '/']).map(|n| n.parse().unwrap()).collect();
        let data_start = headers_end + 4;
        let data_end = data_start + (range[1] - range[0] + 1) as usize;
        parts.push((content_range, text[data_start..data_end].to_vec()));
        position = data_end;
    }
    parts
}

async fn ranges_follow_rfc_9110(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let data = random_bytes(SIZE, 31);
    admin.create_folder("/docs").await.unwrap();
    admin.upload_bytes(data.clone(), "/docs/naïve file.txt", &UploadOptions::default()).await.unwrap();
    let http = Http::new(&server, &admin);
    let path = "/docs/naïve file.txt";
    let size = SIZE as u64;

    let full = http.get("/download", path, &[]).await;
    assert_eq!(full.status(), StatusCode::OK);
    let headers = full.headers().clone();
    assert_eq!(header(&headers, "content-length"), SIZE.to_string());
    assert_eq!(header(&headers, "accept-ranges"), "bytes");
    assert_eq!(header(&headers, "content-type"), "text/plain");
    let etag = format!("\"{}\"", sha256_hex(&data));
    assert_eq!(header(&headers, "etag"), etag);
    let disposition = header(&headers, "content-disposition");
    assert!(disposition.contains("filename*=UTF-8''na%C3%AFve%20file.txt"), "{disposition}");
    let last_modified = header(&headers, "last-modified").to_owned();
    assert!(last_modified.ends_with("GMT"), "{last_modified}");
    assert_eq!(full.bytes().await.unwrap(), data);

    // Single ranges: across a chunk boundary, across a block boundary, suffix, open-ended, whole.
    let single = [
        (format!("bytes={}-{}", CHUNK - 6, CHUNK + 30), (CHUNK - 6)..(CHUNK + 31)),
        ("bytes=65530-65545".to_owned(), 65530..65546),
        ("bytes=-100".to_owned(), (SIZE - 100)..SIZE),
        (format!("bytes={}-", 2 * CHUNK - 1), (2 * CHUNK - 1)..SIZE),
        (format!("bytes=0-{}", SIZE * 2), 0..SIZE),
        (format!("bytes=-{}", SIZE * 3), 0..SIZE),
    ];
    for (range, expected) in single {
        let response = http.get("/download", path, &[("range", &range)]).await;
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        let content_range = format!("bytes {}-{}/{size}", expected.start, expected.end - 1);
        assert_eq!(header(response.headers(), "content-range"), content_range, "{range}");
        assert_eq!(header(response.headers(), "content-length"), expected.len().to_string(), "{range}");
        assert_eq!(response.bytes().await.unwrap(), data.slice(expected), "{range}");
    }

    // Several ranges: multipart/byteranges, parsed back and compared.
    let wanted = [0..10, 65530..65546, (CHUNK - 3)..(CHUNK + 5), (SIZE - 7)..SIZE];
    let spec: Vec<String> = wanted.iter().map(|range| format!("{}-{}", range.start, range.end - 1)).collect();
    let response = http.get("/download", path, &[("range", &format!("bytes={}", spec.join(",")))]).await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    let content_type = header(response.headers(), "content-type").to_owned();
    assert!(content_type.starts_with("multipart/byteranges; boundary="), "{content_type}");
    let length: usize = header(response.headers(), "content-length").parse().unwrap();
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), length, "Content-Length of the multipart body");
    let parts = multipart_parts(&content_type, &body);
    assert_eq!(parts.len(), wanted.len());
    for ((content_range, bytes), range) in parts.iter().zip(&wanted) {
        assert_eq!(content_range, &format!("bytes {}-{}/{size}", range.start, range.end - 1));
        assert_eq!(bytes.as_slice(), &data[range.clone()]);
    }

    // Unsatisfiable: 416 with the size; malformed: the whole file.
    for range in [format!("bytes={size}-"), "bytes=-0".to_owned(), format!("bytes={}-{}", size + 5, size + 9)] {
        let response = http.get("/download", path, &[("range", &range)]).await;
        assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(header(response.headers(), "content-range"), format!("bytes */{size}"));
    }
    for range in ["bytes=abc", "bytes=5-2", "items=0-1", "bytes=--3", "bytes="] {
        let response = http.get("/download", path, &[("range", range)]).await;
        assert_eq!(response.status(), StatusCode::OK, "{range}");
        assert_eq!(response.bytes().await.unwrap().len(), SIZE, "{range}");
    }

    // If-Range: a matching ETag or date keeps the range, anything else gets the whole file.
    for (validator, expected) in
        [(etag.as_str(), StatusCode::PARTIAL_CONTENT), (last_modified.as_str(), StatusCode::PARTIAL_CONTENT)]
    {
        let response = http.get("/download", path, &[("range", "bytes=0-9"), ("if-range", validator)]).await;
        assert_eq!(response.status(), expected, "If-Range {validator}");
        assert_eq!(response.bytes().await.unwrap(), data.slice(0..10));
    }
    let stale = http.get("/download", path, &[("range", "bytes=0-9"), ("if-range", "\"0000\"")]).await;
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(stale.bytes().await.unwrap().len(), SIZE);

    // HEAD: the same headers, no body.
    let head = http.request(reqwest::Method::HEAD, "/download", path, &[]).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(head.headers(), "content-length"), SIZE.to_string());
    assert_eq!(header(head.headers(), "etag"), etag);
    assert!(head.bytes().await.unwrap().is_empty());
    let head = http.request(reqwest::Method::HEAD, "/download", path, &[("range", "bytes=-5")]).await;
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(head.headers(), "content-range"), format!("bytes {}-{}/{size}", size - 5, size - 1));

    // An empty file: no range is satisfiable, the whole (empty) file is fine.
    admin.upload_bytes(bytes::Bytes::new(), "/docs/empty", &UploadOptions::default()).await.unwrap();
    let empty = http.get("/download", "/docs/empty", &[]).await;
    assert_eq!(empty.status(), StatusCode::OK);
    assert!(empty.bytes().await.unwrap().is_empty());
    let empty = http.get("/download", "/docs/empty", &[("range", "bytes=0-")]).await;
    assert_eq!(empty.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // A name that tells nothing: the type is sniffed from the content at commit.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&random_bytes(1000, 33));
    admin.upload_bytes(png.into(), "/docs/picture", &UploadOptions::default()).await.unwrap();
    assert_eq!(admin.stat("/docs/picture").await.unwrap().mime_type, "image/png");
    let picture = http.request(reqwest::Method::HEAD, "/download", "/docs/picture", &[]).await;
    assert_eq!(header(picture.headers(), "content-type"), "image/png");
    server.shutdown().await;
}

async fn download_needs_a_token_and_read_access(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let data = random_bytes(1000, 32);
    alice.upload_bytes(data.clone(), "/secret.bin", &UploadOptions::default()).await.unwrap();
    let url = format!("{}/download", server.url);
    let raw = reqwest::Client::new();

    let anonymous = raw.get(&url).query(&[("path", "/secret.bin")]).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers().get("www-authenticate"), Some(&HeaderValue::from_static("Bearer")));
    let forged = raw.get(&url).query(&[("path", "/secret.bin"), ("ticket", "not-a-ticket")]).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let ticket = alice.download_ticket(pb::TicketPurpose::Download, "/secret.bin").await.unwrap();
    let by_query = raw.get(&url).query(&[("path", "/secret.bin"), ("ticket", &ticket)]).send().await.unwrap();
    assert_eq!(by_query.status(), StatusCode::OK);
    assert_eq!(by_query.bytes().await.unwrap(), data);

    let bob_http = Http::new(&server, &bob);
    assert_eq!(bob_http.get("/download", "/secret.bin", &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(bob_http.get("/download", "/missing.bin", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob_http.get("/download", "relative", &[]).await.status(), StatusCode::BAD_REQUEST);
    let no_path = raw.get(&url).bearer_auth(bob.token().unwrap()).send().await.unwrap();
    assert_eq!(no_path.status(), StatusCode::BAD_REQUEST);
    alice.share("/secret.bin", "bob", ShareLevel::Read).await.unwrap();
    let shared = bob_http.get("/download", "/secret.bin", &[]).await;
    assert_eq!(shared.status(), StatusCode::OK);
    assert_eq!(shared.bytes().await.unwrap(), data);
    server.shutdown().await;
}

/// Checks a zip with Python's zipfile and `unzip -t`; returns name → SHA-256 ("/" for folders).
fn verify_zip(bytes: &[u8]) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.zip");
    std::fs::write(&path, bytes).unwrap();
    let script = r#"
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
out = {}
for info in z.infolist():
    out[info.filename] = "/" if info.is_dir() else hashlib.sha256(z.read(info)).hexdigest()
print(json.dumps(out))
"#;
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
    assert!(output.status.success(), "python zipfile: {}", String::from_utf8_lossy(&output.stderr));
    if std::path::Path::new("/usr/bin/unzip").exists() {
        let unzip = std::process::Command::new("unzip").arg("-tqq").arg(&path).output().unwrap();
        assert!(unzip.status.success(), "unzip -t: {}", String::from_utf8_lossy(&unzip.stdout));
    }
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn zip_holds_exactly_the_readable_files(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let upload = |client: Client, path: &'static str, seed: u64, len: usize| async move {
        let data = random_bytes(len, seed);
        client.upload_bytes(data.clone(), path, &UploadOptions::default()).await.unwrap();
        sha256_hex(&data)
    };
    alice.create_folder("/share/Ünïcødé/empty").await.unwrap();
    alice.create_folder("/share/deep/er/est").await.unwrap();
    let mut expected = BTreeMap::new();
    expected.insert("Ünïcødé/日本.txt".to_owned(), upload(alice.clone(), "/share/Ünïcødé/日本.txt", 1, 3000).await);
    expected.insert(
        "deep/er/est/big.bin".to_owned(),
        upload(alice.clone(), "/share/deep/er/est/big.bin", 2, 2_500_000).await,
    );
    expected.insert("empty.txt".to_owned(), upload(alice.clone(), "/share/empty.txt", 3, 0).await);
    // Bob's files inside alice's folder (she lets him write in /share/bob):
    // private, public, and shared with alice.
    alice.create_folder("/share/bob").await.unwrap();
    alice.share("/share/bob", "bob", ShareLevel::ReadWrite).await.unwrap();
    bob.create_folder("/share/bob/private").await.unwrap();
    upload(bob.clone(), "/share/bob/private/secret.bin", 4, 5000).await;
    upload(bob.clone(), "/share/bob/hidden.bin", 5, 100).await;
    expected.insert("bob/public.bin".to_owned(), upload(bob.clone(), "/share/bob/public.bin", 6, 200).await);
    bob.set_public("/share/bob/public.bin", true).await.unwrap();
    expected.insert("bob/shared.bin".to_owned(), upload(bob.clone(), "/share/bob/shared.bin", 7, 300).await);
    bob.share("/share/bob/shared.bin", "alice", ShareLevel::Read).await.unwrap();
    for folder in ["Ünïcødé/", "Ünïcødé/empty/", "deep/", "deep/er/", "deep/er/est/", "bob/"] {
        expected.insert(folder.to_owned(), "/".to_owned());
    }

    let response = Http::new(&server, &alice).get("/bulk-download", "/share", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response.headers(), "content-type"), "application/zip");
    assert!(header(response.headers(), "content-disposition").contains("share.zip"));
    let listed = verify_zip(&response.bytes().await.unwrap());
    assert_eq!(listed, expected);

    // Bob reads only his own files: alice's are private.
    let response = Http::new(&server, &bob).get("/bulk-download", "/share", &[]).await;
    let listed = verify_zip(&response.bytes().await.unwrap());
    let names: Vec<&str> = listed.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["bob/", "bob/hidden.bin", "bob/private/", "bob/private/secret.bin", "bob/public.bin", "bob/shared.bin"]
    );

    let file = Http::new(&server, &alice).get("/bulk-download", "/share/empty.txt", &[]).await;
    assert_eq!(file.status(), StatusCode::CONFLICT);
    server.shutdown().await;
}

async fn zip_of_seventy_thousand_entries_is_zip64(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let folder = admin.create_folder("/many").await.unwrap();
    let owner = admin.who_am_i().await.unwrap().id;
    server.running().db.insert_empty_folders(folder.id, owner, 70_000).await.unwrap();
    let response = Http::new(&server, &admin).get("/bulk-download", "/many", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.unwrap();
    // The ZIP64 end of central directory record and its locator.
    assert!(bytes.windows(4).any(|w| w == [0x50, 0x4b, 0x06, 0x06]), "no ZIP64 end record");
    assert!(bytes.windows(4).any(|w| w == [0x50, 0x4b, 0x06, 0x07]), "no ZIP64 locator");
    let listed = verify_zip(&bytes);
    assert_eq!(listed.len(), 70_000);
    assert!(listed.contains_key("f69999/"));
    server.shutdown().await;
}

/// Each entry has its file's modification time, as a DOS time (UTC) and as
/// the "UT" Unix time that unzip and 7-Zip prefer, and Unix permissions.
async fn zip_entries_carry_times_and_modes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.create_folder("/dated/inner").await.unwrap();
    alice.upload_bytes(random_bytes(1000, 41), "/dated/inner/note.txt", &UploadOptions::default()).await.unwrap();
    let mut expected = BTreeMap::new();
    for path in ["/dated/inner", "/dated/inner/note.txt"] {
        let entry = alice.stat(path).await.unwrap();
        let seconds = entry.updated_at_ms.div_euclid(1000);
        let folder = entry.kind() == pb::EntryKind::Folder;
        let name = path.strip_prefix("/dated/").unwrap().to_owned() + if folder { "/" } else { "" };
        expected.insert(name, (seconds, if folder { 0o40755 } else { 0o100644 }));
    }

    let response = Http::new(&server, &alice).get("/bulk-download", "/dated", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dated.zip");
    std::fs::write(&path, response.bytes().await.unwrap()).unwrap();
    // Per entry: the DOS time read as UTC, the "UT" seconds, the Unix mode.
    let script = r#"
import calendar, json, struct, sys, zipfile
out = {}
for info in zipfile.ZipFile(sys.argv[1]).infolist():
    extra, unix = info.extra, None
    while len(extra) >= 4:
        kind, size = struct.unpack("<HH", extra[:4])
        if kind == 0x5455 and extra[4] & 1:
            unix = struct.unpack("<i", extra[5:9])[0]
        extra = extra[4 + size:]
    out[info.filename] = [calendar.timegm(info.date_time + (0, 0, 0)), unix, info.external_attr >> 16]
print(json.dumps(out))
"#;
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
    assert!(output.status.success(), "python zipfile: {}", String::from_utf8_lossy(&output.stderr));
    let listed: BTreeMap<String, (i64, i64, u32)> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (name, (dos, unix, mode)) in listed {
        let (seconds, expected_mode) = expected[&name];
        assert_eq!(unix, seconds, "UT time of {name}");
        // DOS times count 2-second steps.
        assert_eq!(dos, seconds - seconds % 2, "DOS time of {name}");
        assert_eq!(mode, expected_mode, "mode of {name}");
    }
    server.shutdown().await;
}

/// A file whose stored bytes are damaged ends the zip with an error: the
/// client never gets a well-formed archive that lacks the file's true bytes.
async fn a_damaged_file_breaks_the_zip(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.create_folder("/broken").await.unwrap();
    alice.upload_bytes(random_bytes(300_000, 42), "/broken/damaged.bin", &UploadOptions::default()).await.unwrap();
    let objects = crate::stored_objects(&server);
    assert_eq!(objects.len(), 1);
    let mut sealed = std::fs::read(&objects[0]).unwrap();
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x01;
    std::fs::write(&objects[0], &sealed).unwrap();

    let response = Http::new(&server, &alice).get("/bulk-download", "/broken", &[]).await;
    assert_eq!(response.status(), StatusCode::OK, "the zip starts before the damage is met");
    assert!(response.bytes().await.is_err(), "the body must break, not end");
    server.shutdown().await;
}

/// The server reads ahead only what the client drains, and gives up on a
/// client that stops reading: the connection ends short of the file.
async fn a_stalled_client_is_dropped(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server =
        TestServer::start_with(backend, |config| config.download_stall_timeout = std::time::Duration::from_secs(1))
            .await;
    let admin = server.admin().await;
    let size = 48 * 1024 * 1024;
    admin.upload_bytes(random_bytes(size, 34), "/big.bin", &UploadOptions::default()).await.unwrap();
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "GET /download?path=/big.bin HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\r\n",
        admin.token().unwrap()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let mut received = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), socket.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server closed the connection");
    let text = String::from_utf8_lossy(&received[..200.min(received.len())]).to_string();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(received.len() < size, "a stalled client got the whole file ({} bytes)", received.len());
    server.shutdown().await;
}
