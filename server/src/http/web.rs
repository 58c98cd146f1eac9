//! The browser UI (clients/web): five files embedded at build time, or read
//! from `WEB_UI_DIR` when that is set. The UI's own paths (`/files/...`,
//! `/trash`, ...) all answer index.html so that reloads and shared URLs work.

use std::path::PathBuf;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Where the UI comes from.
#[derive(Clone, Debug, Default)]
pub enum WebUi {
    /// The copy embedded in the binary.
    #[default]
    Embedded,
    /// A directory holding index.html, app.js, hash-worker.js, app.css and favicon.svg.
    Directory(PathBuf),
}

struct Asset {
    name: &'static str,
    content_type: &'static str,
    embedded: &'static [u8],
}

const ASSETS: [Asset; 5] = [
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        embedded: include_bytes!("../../../clients/web/dist/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        embedded: include_bytes!("../../../clients/web/dist/app.js"),
    },
    Asset {
        name: "hash-worker.js",
        content_type: "text/javascript; charset=utf-8",
        embedded: include_bytes!("../../../clients/web/dist/hash-worker.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        embedded: include_bytes!("../../../clients/web/dist/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        embedded: include_bytes!("../../../clients/web/dist/favicon.svg"),
    },
];

/// Paths the single-page app routes itself; each answers index.html.
const APP_PATHS: [&str; 7] = ["/", "/login", "/files", "/files/", "/files/{*path}", "/trash", "/admin"];

pub fn routes(ui: WebUi) -> Router {
    let mut router = Router::new();
    for path in APP_PATHS {
        router = router
            .route(path, axum::routing::get(|State(ui): State<WebUi>| async move { serve(&ui, "index.html").await }));
    }
    for asset in &ASSETS {
        router = router.route(
            &format!("/{}", asset.name),
            axum::routing::get(|State(ui): State<WebUi>, uri: Uri| async move {
                serve(&ui, uri.path().trim_start_matches('/')).await
            }),
        );
    }
    router.with_state(ui)
}

async fn serve(ui: &WebUi, name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = match ui {
        WebUi::Embedded => asset.embedded.to_vec(),
        WebUi::Directory(dir) => match tokio::fs::read(dir.join(asset.name)).await {
            Ok(body) => body,
            Err(err) => {
                tracing::warn!(dir = %dir.display(), file = asset.name, error = %err, "cannot read the web UI");
                return (StatusCode::NOT_FOUND, format!("{} is missing from WEB_UI_DIR\n", asset.name)).into_response();
            }
        },
    };
    // index.html must be revalidated so a new release is picked up; the
    // other files change only with it, but their names carry no hash.
    let headers = [
        (header::CONTENT_TYPE, asset.content_type),
        (header::CACHE_CONTROL, "no-cache"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        // Old browsers that ignore frame-ancestors.
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    (headers, body).into_response()
}

/// The UI's own files only: no inline script, no framing (clickjacking of
/// share, transfer and delete), no plugins. Chunks go to upload workers on
/// other origins, so connections may reach any HTTP(S) origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' blob: data:; worker-src 'self'; connect-src 'self' http: https:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
