//! Discord's package download links, served on loopback: `GET
//! /ls/click?upn=<key>` answers, as click.discord.com does, with a 302 to a
//! signed storage URL, and that URL serves the zip until it expires, then
//! answers 400 as Google Cloud Storage does. Point a manager's
//! DISCORD_CLICK_BASE at [`ClickServer::url`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

#[derive(Default)]
struct Links {
    /// upn → the zip it downloads, by a random object name.
    packages: HashMap<String, (String, PathBuf)>,
    /// Object names whose signed URLs have expired.
    expired: Vec<String>,
    /// Requests of the signed URLs, for tests that count downloads.
    downloads: u64,
    /// Bytes per second the storage URLs send, when slowed down.
    rate: Option<u64>,
}

pub struct ClickServer {
    pub url: String,
    links: Arc<Mutex<Links>>,
    server: tokio::task::JoinHandle<()>,
}

impl ClickServer {
    pub async fn start() -> ClickServer {
        let links: Arc<Mutex<Links>> = Arc::default();
        let app = Router::new()
            .route("/ls/click", get(click))
            .route("/storage/{object}", get(storage))
            .route("/to-private", get(|| async { Redirect::to("http://169.254.169.254/latest/meta-data/") }))
            .with_state(links.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the click server");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the click server runs");
        });
        ClickServer { url, links, server }
    }

    /// Serves `zip` for the link with this key.
    pub fn add(&self, upn: &str, zip: PathBuf) {
        let object = format!("{:016x}", rand_u64());
        self.links.lock().unwrap().packages.insert(upn.to_owned(), (object, zip));
    }

    /// The signed URL of this key's package answers 400 from now on.
    pub fn expire(&self, upn: &str) {
        let mut links = self.links.lock().unwrap();
        let object = links.packages.get(upn).map(|(object, _)| object.clone());
        links.expired.extend(object);
    }

    /// Sends packages at `bytes_per_second` from now on, so that a test
    /// can act while a download runs.
    pub fn slow_down(&self, bytes_per_second: u64) {
        self.links.lock().unwrap().rate = Some(bytes_per_second.max(1));
    }

    pub fn downloads(&self) -> u64 {
        self.links.lock().unwrap().downloads
    }

    /// A link on this (loopback) server that redirects to another host's
    /// private address, as a hostile allow-listed link would.
    pub fn link_to_private(&self) -> String {
        format!("{}/to-private", self.url)
    }

    /// The link Discord emails for this key.
    pub fn discord_link(upn: &str) -> String {
        format!("https://click.discord.com/ls/click?upn={upn}")
    }
}

impl Drop for ClickServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn rand_u64() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|time| time.as_nanos()).unwrap_or_default();
    (nanos as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ std::process::id() as u64
}

#[derive(serde::Deserialize)]
struct ClickQuery {
    upn: Option<String>,
}

async fn click(State(links): State<Arc<Mutex<Links>>>, Query(query): Query<ClickQuery>) -> Response {
    let links = links.lock().unwrap();
    match query.upn.and_then(|upn| links.packages.get(&upn).cloned()) {
        Some((object, _)) => Redirect::to(&format!("/storage/{object}?X-Goog-Signature=0badc0de")).into_response(),
        None => (StatusCode::NOT_FOUND, "no such link").into_response(),
    }
}

async fn storage(State(links): State<Arc<Mutex<Links>>>, Path(object): Path<String>) -> Response {
    let (zip, rate) = {
        let mut links = links.lock().unwrap();
        links.downloads += 1;
        if links.expired.contains(&object) {
            return (StatusCode::BAD_REQUEST, "<Error><Code>ExpiredToken</Code></Error>").into_response();
        }
        (links.packages.values().find(|(name, _)| *name == object).map(|(_, zip)| zip.clone()), links.rate)
    };
    let Some(zip) = zip else {
        return (StatusCode::NOT_FOUND, "no such object").into_response();
    };
    let Ok(bytes) = tokio::fs::read(&zip).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(rate) = rate else {
        return ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response();
    };
    // Tenth-of-a-second pieces at the set rate.
    let piece = (rate / 10).max(1) as usize;
    let pieces = futures::stream::unfold((bytes::Bytes::from(bytes), 0usize), move |(bytes, at)| async move {
        if at >= bytes.len() {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let end = (at + piece).min(bytes.len());
        Some((Ok::<_, std::io::Error>(bytes.slice(at..end)), (bytes, end)))
    });
    ([(header::CONTENT_TYPE, "application/octet-stream")], axum::body::Body::from_stream(pieces)).into_response()
}
