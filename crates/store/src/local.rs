//! A chunk store in a local directory: one file per object.

use std::fs::{self, File};
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use cordvault_core::crypto::random_hex;

use crate::{ChunkLocator, ChunkStore, StoreError, StoredObject};

/// Objects live at `root/ab/abcdef…` (32 hex digits); writes go through
/// `root/tmp` and a rename, so a crash never leaves a half-written object
/// under a real locator.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    max_object_size: u64,
}

const DEFAULT_MAX_OBJECT_SIZE: u64 = 64 * 1024 * 1024;

impl LocalStore {
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        private_dir(&root)?;
        private_dir(&root.join("tmp"))?;
        Ok(LocalStore { root, max_object_size: DEFAULT_MAX_OBJECT_SIZE })
    }

    pub fn with_max_object_size(mut self, max_object_size: u64) -> Self {
        self.max_object_size = max_object_size;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn object_path(&self, locator: &ChunkLocator) -> Result<PathBuf, StoreError> {
        let id = &locator.0;
        let valid = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if !valid {
            return Err(StoreError::InvalidLocator(id.clone()));
        }
        Ok(self.root.join(&id[..2]).join(id))
    }
}

/// Creates a directory (and its parents) only its owner may enter.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| StoreError::Unavailable(format!("store task failed: {err}")))?
}

#[async_trait]
impl ChunkStore for LocalStore {
    fn max_object_size(&self) -> u64 {
        self.max_object_size
    }

    async fn put(&self, data: Bytes) -> Result<ChunkLocator, StoreError> {
        let size = data.len() as u64;
        if size > self.max_object_size {
            return Err(StoreError::TooLarge { size, limit: self.max_object_size });
        }
        let locator = ChunkLocator(random_hex::<16>());
        let path = self.object_path(&locator)?;
        let tmp = self.root.join("tmp").join(&locator.0);
        blocking(move || {
            crate::direct::write_durable(&tmp, &data)?;
            let dir = path.parent().expect("object paths have a parent");
            private_dir(dir)?;
            fs::rename(&tmp, &path)?;
            // The rename is durable only once the directory is.
            File::open(dir)?.sync_all()?;
            Ok(())
        })
        .await?;
        Ok(locator)
    }

    async fn get_range(&self, locator: &ChunkLocator, range: Range<u64>) -> Result<Bytes, StoreError> {
        let path = self.object_path(locator)?;
        let locator = locator.clone();
        blocking(move || {
            if !path.exists() {
                return Err(StoreError::NotFound(locator));
            }
            let len = (range.end.saturating_sub(range.start)).min(usize::MAX as u64) as usize;
            match crate::direct::read_at(&path, range.start, len) {
                Ok(bytes) => Ok(Bytes::from(bytes)),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NotFound(locator)),
                Err(err) => Err(err.into()),
            }
        })
        .await
    }

    async fn delete(&self, locator: &ChunkLocator) -> Result<(), StoreError> {
        let path = self.object_path(locator)?;
        blocking(move || match fs::remove_file(&path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err.into()),
            _ => Ok(()),
        })
        .await
    }

    async fn list(&self) -> Result<Vec<StoredObject>, StoreError> {
        let root = self.root.clone();
        blocking(move || {
            let mut locators = Vec::new();
            for shard in fs::read_dir(&root)? {
                let shard = shard?;
                if shard.file_name() == "tmp" || !shard.file_type()?.is_dir() {
                    continue;
                }
                for object in fs::read_dir(shard.path())? {
                    let object = object?;
                    let stored_at = object.metadata()?.modified()?;
                    let locator = ChunkLocator(object.file_name().to_string_lossy().into_owned());
                    locators.push(StoredObject { locator, stored_at });
                }
            }
            locators.sort_by(|a, b| a.locator.cmp(&b.locator));
            Ok(locators)
        })
        .await
    }
}
