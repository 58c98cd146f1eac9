//! A client of dumpus-api's REST routes, calling them as the dumpus web
//! client does: submit a link, poll the status every 100 ms, fetch the
//! result by the URL `/blob` gives and open it with the key.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

pub struct Dumpus {
    pub http: reqwest::Client,
    pub base: String,
}

impl Dumpus {
    pub fn new(base: &str) -> Dumpus {
        Dumpus { http: reqwest::Client::new(), base: base.to_owned() }
    }

    /// `POST /process`; the JSON answer (HTTP 200 expected).
    pub async fn submit(&self, link: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/process", self.base))
            .json(&json!({ "package_link": link }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn get(&self, path: &str, key: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(key).send().await.unwrap()
    }

    pub async fn status(&self, id: &str, key: &str) -> Value {
        let response = self.get(&format!("/process/{id}/status"), key).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Polls until `done` holds of the status; panics after `limit`.
    pub async fn wait_for(&self, id: &str, key: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let start = std::time::Instant::now();
        loop {
            let status = self.status(id, key).await;
            if done(&status) {
                return status;
            }
            assert!(start.elapsed() < limit, "package {id} did not get there in {limit:?}: {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until the package is processed or errored.
    pub async fn wait(&self, id: &str, key: &str) -> Value {
        self.wait_for(id, key, Duration::from_secs(120), |status| {
            status["isDataAvailable"] == json!(true) || status["isErrored"] == json!(true)
        })
        .await
    }

    /// The result as the web client gets it: `/blob`, the URL it names
    /// (without the key), AES-256-CBC under SHA-256(key), gunzip; written
    /// to `database` as a SQLite file.
    pub async fn fetch_database(&self, id: &str, key: &str, database: &Path) {
        let blob: Value = self.get(&format!("/process/{id}/blob"), key).await.json().await.unwrap();
        let url = blob["url"].as_str().expect("a URL");
        assert!(!url.contains(key), "the key is in the result's URL");
        let sealed = reqwest::get(url).await.unwrap();
        assert_eq!(sealed.status(), reqwest::StatusCode::OK);
        let sealed = sealed.bytes().await.unwrap();
        let opened = cordvault_core::package::PackageKey::parse(key).unwrap();
        let gzipped = cordvault_core::package::open_result(&opened, blob["iv"].as_str().unwrap(), &sealed).unwrap();
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut bytes).unwrap();
        std::fs::write(database, bytes).unwrap();
    }
}

/// A key as Discord makes them (over 500 characters of [A-Za-z0-9._-]),
/// starting with a marker to look for in everything a server wrote.
pub fn discord_key(seed: u64) -> String {
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
    format!("{KEY_MARKER}{tail}")
}

pub const KEY_MARKER: &str = "SECRETKEYMARKER";

/// The package id of a key: lowercase hex MD5.
pub fn package_id(key: &str) -> String {
    cordvault_core::package::PackageKey::parse(key).unwrap().package_id().to_string()
}
