//! Discord data packages through dumpus-api's REST routes, as its web
//! client calls them: submit a link, poll the status, fetch the sealed
//! result by the URL `/blob` gives and open it with the key, delete.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use cordvault_test_support::click::ClickServer;
use cordvault_test_support::package_gen::{PackageLayout, PackageSpec, generate, read_tables};
use cordvault_test_support::{Backend, TestServer, backend_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(a_linked_package_is_analysed_and_opens_only_with_its_key, bad_links_and_bad_packages_get_their_codes);

/// A key as Discord makes them (over 500 characters of [A-Za-z0-9._-]),
/// with a marker to look for in everything the server wrote.
fn discord_key(seed: u64) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._";
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let tail: String = (0..600)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[(state % alphabet.len() as u64) as usize] as char
        })
        .collect();
    format!("SECRETKEYMARKER{tail}")
}

struct Dumpus {
    http: reqwest::Client,
    base: String,
}

impl Dumpus {
    fn new(server: &TestServer) -> Dumpus {
        Dumpus { http: reqwest::Client::new(), base: server.url.clone() }
    }

    async fn submit(&self, link: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/process", self.base))
            .json(&json!({ "package_link": link }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn get(&self, path: &str, key: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(key).send().await.unwrap()
    }

    async fn status(&self, id: &str, key: &str) -> Value {
        let response = self.get(&format!("/process/{id}/status"), key).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Polls as the client does until the package is processed or errored.
    async fn wait(&self, id: &str, key: &str) -> Value {
        for _ in 0..600 {
            let status = self.status(id, key).await;
            if status["isDataAvailable"] == json!(true) || status["isErrored"] == json!(true) {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("package {id} was not processed in a minute");
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn a_linked_package_is_analysed_and_opens_only_with_its_key(backend: Backend) {
    let click = ClickServer::start().await;
    let url = click.url.clone();
    let server = TestServer::start_with(backend, move |config| config.packages.click_base = url).await;
    let dumpus = Dumpus::new(&server);
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("package.zip");
    let expected = generate(&PackageSpec::small(11, PackageLayout::Current), &zip).unwrap();
    let key = discord_key(1);
    click.add(&key, zip);

    let submitted = dumpus.submit(&ClickServer::discord_link(&key)).await;
    let id = cordvault_core::package::PackageKey::parse(&key).unwrap().package_id().to_string();
    assert_eq!(submitted, json!({ "isAccepted": true, "packageId": id, "errorMessageCode": null }));
    let status = dumpus.wait(&id, &key).await;
    assert_eq!(status["isDataAvailable"], json!(true), "{status}");
    assert_eq!(status["processingStep"], json!("PROCESSED"));
    assert_eq!(status["isProcessing"], json!(false));
    assert_eq!(
        status["processingQueuePosition"],
        json!({ "user": 0, "total": 0, "userWhenStarted": 0, "totalWhenStarted": 0 })
    );

    // The result, by the URL /blob hands out (no key in it), opened as the
    // web client opens it: AES-256-CBC under SHA-256(key), then gunzip.
    let blob: Value = dumpus.get(&format!("/process/{id}/blob"), &key).await.json().await.unwrap();
    assert_eq!(blob["ttl"], json!(300));
    let blob_url = blob["url"].as_str().unwrap();
    assert!(!blob_url.contains("SECRETKEYMARKER"), "{blob_url}");
    let sealed = reqwest::get(blob_url).await.unwrap();
    assert_eq!(sealed.status(), StatusCode::OK);
    let sealed = sealed.bytes().await.unwrap();
    let key_parsed = cordvault_core::package::PackageKey::parse(&key).unwrap();
    let gzipped = cordvault_core::package::open_result(&key_parsed, blob["iv"].as_str().unwrap(), &sealed).unwrap();
    let mut database = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut database).unwrap();
    let database_path = work.path().join("result.sqlite");
    std::fs::write(&database_path, &database).unwrap();
    expected.with_package_id(&id).assert_matches(&read_tables(&database_path));
    // /data with the key gives the same bytes; a forged ticket gives nothing.
    assert_eq!(dumpus.get(&format!("/process/{id}/data"), &key).await.bytes().await.unwrap(), sealed);
    let forged =
        reqwest::get(format!("{}/process/{id}/data?ticket=t1.0.0.99999999999999.{}", server.url, "0".repeat(64)))
            .await
            .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // A wrong key, a malformed header and none, on every route.
    let wrong = discord_key(2);
    let routes = [
        ("GET", format!("/process/{id}/status")),
        ("GET", format!("/process/{id}/blob")),
        ("GET", format!("/process/{id}/data")),
        ("DELETE", format!("/process/{id}")),
    ];
    for (method, path) in &routes {
        for authorization in
            [format!("Bearer {wrong}"), "Bearer".to_owned(), "garbage".to_owned(), format!("Bearer {key} extra")]
        {
            let request = dumpus
                .http
                .request(method.parse().unwrap(), format!("{}{path}", server.url))
                .header("authorization", authorization.clone());
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} with {authorization:.20}");
        }
        let response =
            dumpus.http.request(method.parse().unwrap(), format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} without a key");
    }
    let unauthorized: Value = dumpus.get(&format!("/process/{id}/status"), &wrong).await.json().await.unwrap();
    assert_eq!(unauthorized["errorMessageCode"], json!("UNAUTHORIZED"));

    // Submitting again finds the processed package; nothing is downloaded again.
    let downloads = click.downloads();
    assert_eq!(dumpus.submit(&ClickServer::discord_link(&key)).await["packageId"], json!(id));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(click.downloads(), downloads);

    // The key is nowhere the server wrote: database, store, work folders.
    let files = files_under(server.data_dir());
    let sqlite_file = files.iter().any(|file| file.to_string_lossy().ends_with(".sqlite"));
    assert!(sqlite_file || server.config.database_url.is_some(), "the SQLite database is among the files read");
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        assert!(!bytes.windows(15).any(|window| window == b"SECRETKEYMARKER"), "the key is in {}", file.display());
    }
    assert!(files_under(&server.data_dir().join("analysis")).is_empty(), "the work folder is emptied");

    let deleted: Value = dumpus
        .http
        .delete(format!("{}/process/{id}", server.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted, json!({ "isDeleted": true, "errorMessageCode": null }));
    assert_eq!(dumpus.status(&id, &key).await["errorMessageCode"], json!("UNKNOWN_PACKAGE_ID"));
    assert_eq!(dumpus.get(&format!("/process/{id}/blob"), &key).await.status(), StatusCode::NOT_FOUND);
    let again: Value = dumpus
        .http
        .delete(format!("{}/process/{id}", server.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again, json!({ "isDeleted": false, "errorMessageCode": "UNKNOWN_PACKAGE_ID" }));
    server.shutdown().await;
}

async fn bad_links_and_bad_packages_get_their_codes(backend: Backend) {
    let click = ClickServer::start().await;
    let url = click.url.clone();
    let server = TestServer::start_with(backend, move |config| config.packages.click_base = url).await;
    let dumpus = Dumpus::new(&server);
    let work = tempfile::tempdir().unwrap();

    // Links dumpus does not take: refused at once, HTTP 200 as the original.
    for link in ["https://example.com/package.zip", "https://click.discord.com/ls/click?upn=short", ""] {
        let refused = dumpus.submit(link).await;
        assert_eq!(
            refused,
            json!({ "isAccepted": false, "packageId": null, "errorMessageCode": "INVALID_LINK" }),
            "{link}"
        );
    }
    // A body without the field, and no JSON at all: 400, not the original's 500.
    for body in ["{}", "not json"] {
        let response = dumpus.http.post(format!("{}/process", server.url)).body(body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    }

    // An expired link, a page that is no zip, a package without account data.
    let expired_key = discord_key(10);
    let zip = work.path().join("expired.zip");
    generate(&PackageSpec::small(1, PackageLayout::Current), &zip).unwrap();
    click.add(&expired_key, zip);
    click.expire(&expired_key);
    let not_zip_key = discord_key(11);
    let not_zip = work.path().join("not.zip");
    std::fs::write(&not_zip, b"<html>Too many requests</html>").unwrap();
    click.add(&not_zip_key, not_zip);
    let no_account_key = discord_key(12);
    let no_account = work.path().join("no-account.zip");
    {
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&no_account).unwrap());
        writer.start_file("Messages/index.json", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut writer, b"{}").unwrap();
        writer.finish().unwrap();
    }
    click.add(&no_account_key, no_account);
    for (key, code) in
        [(&expired_key, "EXPIRED_LINK"), (&not_zip_key, "INVALID_PACKAGE"), (&no_account_key, "MISSING_USER_DATA")]
    {
        let id = dumpus.submit(&ClickServer::discord_link(key)).await["packageId"].as_str().unwrap().to_owned();
        let status = dumpus.wait(&id, key).await;
        assert_eq!(status["isErrored"], json!(true), "{code}: {status}");
        assert_eq!(status["errorMessageCode"], json!(code), "{status}");
        assert_eq!(dumpus.get(&format!("/process/{id}/blob"), key).await.status(), StatusCode::NOT_FOUND);
    }
    // An errored package is queued again when submitted again.
    click.add(&expired_key, work.path().join("expired.zip"));
    let id = dumpus.submit(&ClickServer::discord_link(&expired_key)).await["packageId"].as_str().unwrap().to_owned();
    assert_eq!(dumpus.wait(&id, &expired_key).await["isDataAvailable"], json!(true));
    assert!(files_under(&server.data_dir().join("analysis")).is_empty(), "the work folder is emptied");
    server.shutdown().await;
}
