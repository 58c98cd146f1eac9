//! Fetching a package zip by its link, into a file: redirects followed
//! (Discord's link answers with a redirect to a signed storage URL), a size
//! cap, timeouts, and no way from a link into another host's private
//! network. Error messages never carry the URL: for a Discord link it holds
//! the package's key.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cordvault_proto::worker::v1::StoredZip;
use cordvault_store::{ChunkStore, StoredFile};
use futures::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use tokio::io::AsyncWriteExt;

/// Why a download failed, as the codes dumpus clients know.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The link answered 4xx: Discord's signed URL expired.
    #[error("the link has expired (HTTP {0})")]
    Expired(u16),
    #[error("the link does not lead to a package: {0}")]
    Invalid(String),
    #[error("the package is over {0} bytes")]
    TooLarge(u64),
    /// Worth another attempt: a network failure, a 5xx.
    #[error("the download failed: {0}")]
    Transient(String),
    #[error("cannot write the package: {0}")]
    Disk(std::io::Error),
}

const MAX_REDIRECTS: usize = 10;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A download that receives nothing for this long is given up.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Downloads `link` into `to`; the number of bytes written.
pub async fn download(link: &str, max_bytes: u64, to: &Path) -> Result<u64, DownloadError> {
    let mut url = reqwest::Url::parse(link).map_err(|_| DownloadError::Invalid("not a URL".into()))?;
    let origin_host = url.host_str().unwrap_or_default().to_owned();
    let client = client(&origin_host)?;
    // Redirects are followed here, not by reqwest, which would log each
    // URL at debug level: a Discord link's URL holds the key.
    let mut redirects = 0;
    let response = loop {
        let response = client.get(url.clone()).send().await.map_err(request_error)?;
        if !response.status().is_redirection() {
            break response;
        }
        redirects += 1;
        if redirects > MAX_REDIRECTS {
            return Err(DownloadError::Invalid("too many redirects".into()));
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .ok_or_else(|| DownloadError::Invalid("a redirect without a Location".into()))?;
        url = url.join(location).map_err(|_| DownloadError::Invalid("a redirect to a malformed URL".into()))?;
        check_redirect(&url, &origin_host)?;
    };
    let status = response.status();
    if status.is_client_error() {
        return Err(DownloadError::Expired(status.as_u16()));
    }
    if status.is_server_error() {
        return Err(DownloadError::Transient(format!("HTTP {}", status.as_u16())));
    }
    if !status.is_success() {
        return Err(DownloadError::Invalid(format!("HTTP {}", status.as_u16())));
    }
    if response.content_length().is_some_and(|length| length > max_bytes) {
        return Err(DownloadError::TooLarge(max_bytes));
    }
    let mut file = tokio::fs::File::create(to).await.map_err(DownloadError::Disk)?;
    let mut body = response.bytes_stream();
    let mut written = 0u64;
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(request_error)?;
        written += piece.len() as u64;
        if written > max_bytes {
            return Err(DownloadError::TooLarge(max_bytes));
        }
        file.write_all(&piece).await.map_err(DownloadError::Disk)?;
    }
    file.flush().await.map_err(DownloadError::Disk)?;
    Ok(written)
}

/// Copies a zip from the chunk store (an upload, or a cordvault file) into
/// `to`, chunk by chunk; the number of bytes written.
pub async fn copy_stored(
    store: Arc<dyn ChunkStore>,
    stored: &StoredZip,
    max_bytes: u64,
    to: &Path,
) -> Result<u64, DownloadError> {
    if stored.size > max_bytes {
        return Err(DownloadError::TooLarge(max_bytes));
    }
    let file = StoredFile::new(store, &stored.data_key, stored.size, stored.chunk_size, stored.chunk_locators.clone())
        .map_err(|err| DownloadError::Invalid(err.message))?;
    let mut out = tokio::fs::File::create(to).await.map_err(DownloadError::Disk)?;
    for index in 0..file.chunk_count() {
        let chunk = file.chunk(index).await.map_err(|err| {
            if err.code.is_retryable() {
                DownloadError::Transient(err.message)
            } else {
                DownloadError::Invalid(format!("the stored zip cannot be read: {}", err.message))
            }
        })?;
        out.write_all(&chunk).await.map_err(DownloadError::Disk)?;
    }
    out.flush().await.map_err(DownloadError::Disk)?;
    Ok(file.size())
}

/// A redirect goes to HTTP(S), and not to a private address of another
/// host than the link's own (names are checked as they resolve).
fn check_redirect(url: &reqwest::Url, origin_host: &str) -> Result<(), DownloadError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(DownloadError::Invalid("a redirect to a non-HTTP URL".into()));
    }
    let host = url.host_str().unwrap_or_default();
    let literal = host.trim_matches(['[', ']']).parse::<IpAddr>().ok();
    if host != origin_host && literal.is_some_and(is_private) {
        return Err(DownloadError::Invalid("a redirect to a private address".into()));
    }
    Ok(())
}

fn client(origin_host: &str) -> Result<reqwest::Client, DownloadError> {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .dns_resolver(Arc::new(PublicNames { origin: origin_host.to_owned() }))
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build()
        .map_err(|err| DownloadError::Transient(err.without_url().to_string()))
}

/// A failed request, described without its URL.
fn request_error(err: reqwest::Error) -> DownloadError {
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(inner) = source {
        message = format!("{message}: {inner}");
        source = inner.source();
    }
    if message.contains("private address") {
        return DownloadError::Invalid(message);
    }
    DownloadError::Transient(message)
}

/// Resolves names to public addresses only, except the link's own host
/// (an operator may allow-list a server on their own network; a redirect
/// must not lead from there, or from anywhere, to another private host).
struct PublicNames {
    origin: String,
}

impl Resolve for PublicNames {
    fn resolve(&self, name: Name) -> Resolving {
        let trusted = name.as_str() == self.origin;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|address| trusted || !is_private(address.ip())).collect();
            if allowed.is_empty() {
                return Err("the name resolves to a private address only".into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Loopback, private, link-local (cloud metadata), unique-local, unspecified.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast()
        }
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_private;

    #[test]
    fn private_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "142.250.74.78", "2606:4700::1111"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }
}
