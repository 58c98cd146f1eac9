//! WebDAV locks kept by the manager (LockService), so that every gateway
//! and manager replica sees the same locks. A lock system is made for each
//! request, acting as its user, whose username is the locks' principal.

use std::time::{Duration, UNIX_EPOCH};

use cordvault_client::proto as pb;
use cordvault_client::{Client, LockOptions};
use dav_server::davpath::DavPath;
use dav_server::ls::{DavLock, DavLockSystem, LsFuture};
use xmltree::{Element, EmitterConfig, Namespace};

use super::PREFIX;
use super::fs::tree_path;

#[derive(Clone)]
pub struct ApiLocks {
    client: Client,
}

impl ApiLocks {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl std::fmt::Debug for ApiLocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiLocks")
    }
}

/// A tree path as dav-server's paths are made: URL-encoded, under the prefix.
fn dav_path(path: &str) -> DavPath {
    let mut encoded = String::from(PREFIX);
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    let mut dav_path = DavPath::new(&encoded).unwrap_or_else(|_| DavPath::new(PREFIX).expect("the prefix is a path"));
    let _ = dav_path.set_prefix(PREFIX);
    dav_path
}

/// The owner element as text that parses alone: dav-server hands it over
/// with its own prefix (`D:`) but the namespace declarations the client
/// put on a parent, so the prefix is bound here.
fn owner_xml(owner: Option<&Element>) -> String {
    let Some(owner) = owner else { return String::new() };
    let mut owner = owner.clone();
    if let (Some(prefix), Some(uri)) = (owner.prefix.clone(), owner.namespace.clone()) {
        owner.namespaces.get_or_insert_with(Namespace::empty).put(prefix, uri);
    }
    let mut xml = Vec::new();
    let config = EmitterConfig::new().write_document_declaration(false);
    match owner.write_with_config(&mut xml, config) {
        Ok(()) => String::from_utf8(xml).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn dav_lock(lock: pb::Lock) -> DavLock {
    let owner =
        (!lock.owner_xml.is_empty()).then(|| Element::parse(lock.owner_xml.as_bytes()).ok()).flatten().map(Box::new);
    let expires = u64::try_from(lock.expires_at_ms).ok().filter(|&ms| ms > 0);
    DavLock {
        token: lock.token,
        path: Box::new(dav_path(&lock.path)),
        principal: Some(lock.owner_username),
        owner,
        timeout_at: expires.map(|ms| UNIX_EPOCH + Duration::from_millis(ms)),
        timeout: u64::try_from(lock.timeout_seconds).ok().filter(|&s| s > 0).map(Duration::from_secs),
        shared: lock.shared,
        deep: lock.deep,
    }
}

/// What stands for a lock when the manager could not be asked: refusing
/// (423) is the safe answer for a write that may conflict.
fn unknown_lock(path: &DavPath) -> DavLock {
    DavLock {
        token: String::new(),
        path: Box::new(path.clone()),
        principal: None,
        owner: None,
        timeout_at: None,
        timeout: None,
        shared: false,
        deep: false,
    }
}

fn seconds(timeout: Option<Duration>) -> i64 {
    timeout.map_or(0, |timeout| i64::try_from(timeout.as_secs().max(1)).unwrap_or(i64::MAX))
}

impl DavLockSystem for ApiLocks {
    fn lock(
        &self,
        path: &DavPath,
        _principal: Option<&str>,
        owner: Option<&Element>,
        timeout: Option<Duration>,
        shared: bool,
        deep: bool,
    ) -> LsFuture<'_, Result<DavLock, DavLock>> {
        let path = path.clone();
        let options = LockOptions { owner_xml: owner_xml(owner), timeout_seconds: seconds(timeout), shared, deep };
        Box::pin(async move {
            let tree = tree_path(&path).map_err(|_| unknown_lock(&path))?;
            match self.client.create_lock(&tree, &options).await {
                Ok(outcome) => outcome.into_result().map(dav_lock).map_err(dav_lock),
                Err(err) => {
                    tracing::info!(path = %tree, error = %err, "lock refused by the manager");
                    Err(unknown_lock(&path))
                }
            }
        })
    }

    fn unlock(&self, path: &DavPath, token: &str) -> LsFuture<'_, Result<(), ()>> {
        let (path, token) = (path.clone(), token.to_owned());
        Box::pin(async move {
            let tree = tree_path(&path).map_err(drop)?;
            self.client.release_lock(&tree, &token).await.map_err(drop)
        })
    }

    fn refresh(&self, path: &DavPath, token: &str, timeout: Option<Duration>) -> LsFuture<'_, Result<DavLock, ()>> {
        let (path, token) = (path.clone(), token.to_owned());
        Box::pin(async move {
            let tree = tree_path(&path).map_err(drop)?;
            self.client.refresh_lock(&tree, &token, seconds(timeout)).await.map(dav_lock).map_err(drop)
        })
    }

    fn check(
        &self,
        path: &DavPath,
        _principal: Option<&str>,
        ignore_principal: bool,
        deep: bool,
        submitted_tokens: &[String],
    ) -> LsFuture<'_, Result<(), DavLock>> {
        let (path, tokens) = (path.clone(), submitted_tokens.to_vec());
        Box::pin(async move {
            let tree = tree_path(&path).map_err(|_| unknown_lock(&path))?;
            match self.client.check_locks(&tree, deep, ignore_principal, &tokens).await {
                Ok(None) => Ok(()),
                Ok(Some(conflict)) => Err(dav_lock(conflict)),
                Err(err) => {
                    tracing::warn!(path = %tree, error = %err, "locks could not be checked; refusing the write");
                    Err(unknown_lock(&path))
                }
            }
        })
    }

    fn discover(&self, path: &DavPath) -> LsFuture<'_, Vec<DavLock>> {
        let path = path.clone();
        Box::pin(async move {
            let Ok(tree) = tree_path(&path) else { return Vec::new() };
            match self.client.list_locks(&tree).await {
                Ok(locks) => locks.into_iter().map(dav_lock).collect(),
                Err(err) => {
                    tracing::info!(path = %tree, error = %err, "locks could not be listed");
                    Vec::new()
                }
            }
        })
    }

    fn delete(&self, path: &DavPath) -> LsFuture<'_, Result<(), ()>> {
        let path = path.clone();
        Box::pin(async move {
            let tree = tree_path(&path).map_err(drop)?;
            self.client.delete_locks(&tree).await.map(drop).map_err(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_in_a_default_namespace_are_kept() {
        let info = Element::parse(
            &b"<lockinfo xmlns='DAV:'><lockscope><exclusive/></lockscope><owner>litmus test suite</owner></lockinfo>"[..],
        )
        .unwrap();
        // As dav-server hands it over: its prefix, the client's namespaces.
        let mut owner = info.get_child("owner").unwrap().clone();
        owner.prefix = Some("D".into());
        let xml = owner_xml(Some(&owner));
        let parsed = Element::parse(xml.as_bytes()).unwrap_or_else(|err| panic!("{xml:?}: {err}"));
        assert_eq!(parsed.get_text().unwrap(), "litmus test suite");
    }

    #[test]
    fn lock_owners_survive_the_round_trip() {
        let owner = Element::parse(&br#"<D:owner xmlns:D="DAV:">litmus test suite</D:owner>"#[..]).unwrap();
        let xml = owner_xml(Some(&owner));
        assert!(xml.contains("litmus test suite"), "{xml:?}");
        let lock = pb::Lock { owner_xml: xml, token: "t".into(), path: "/a b".into(), ..Default::default() };
        let back = dav_lock(lock);
        assert_eq!(back.owner.unwrap().get_text().unwrap(), "litmus test suite");
        assert_eq!(back.path.with_prefix().as_url_string(), "/dav/a%20b");
    }
}
