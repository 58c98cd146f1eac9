//! Reading files: any byte range, fetching and authenticating only the
//! blocks it needs.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cordvault_core::chunk::{BLOCK_SIZE, ChunkCodec, HEADER_LEN, check_seal};
use cordvault_core::crypto::MasterKey;
use cordvault_core::path::TreePath;
use cordvault_core::range::{chunk_len, chunk_slices};
use cordvault_core::{Error, Result};
use cordvault_store::{ChunkLocator, ChunkStore};
use ring::digest::{Context, SHA256};

use super::access::{Caller, ensure_can_read};
use super::tree::{EntryInfo, Tree};
use crate::db::Db;
use crate::db::chunks::ChunkRow;

/// The hash of a whole-file read, fed piece by piece; the reader checks it
/// before it hands out the last piece, so a file whose bytes differ from
/// its recorded SHA-256 never reads as complete.
pub struct WholeFileCheck {
    context: Context,
    expected: String,
    path: String,
}

impl WholeFileCheck {
    pub fn feed(&mut self, piece: &[u8]) {
        self.context.update(piece);
    }

    pub fn finish(self) -> Result<()> {
        let actual = hex::encode(self.context.finish().as_ref());
        if actual != self.expected {
            tracing::error!(path = %self.path, expected = %self.expected, %actual, "a whole-file read did not match its SHA-256");
            return Err(Error::data_loss(format!(
                "{} does not match its recorded SHA-256; the chunk store holds other bytes than were uploaded",
                self.path
            )));
        }
        Ok(())
    }
}

/// Most plaintext one read step returns: 16 blocks.
pub const MAX_PIECE: u64 = 16 * BLOCK_SIZE;

/// A file opened for reading: its chunk records and key.
pub struct OpenFile {
    pub info: EntryInfo,
    size: u64,
    chunk_size: u64,
    codec: ChunkCodec,
    chunks: Vec<ChunkRow>,
    headers: Mutex<HashMap<u64, Bytes>>,
    store: Arc<dyn ChunkStore>,
}

/// A stored content as a worker reads it: its shape, data key and chunks.
#[derive(Debug, Clone)]
pub struct ContentChunks {
    pub size: u64,
    pub chunk_size: u64,
    /// Empty when the content is not encrypted.
    pub data_key: Vec<u8>,
    pub locators: Vec<String>,
}

/// What a worker needs to read content `content_id` itself (a thumbnail's
/// picture, a stored package zip); None when the content is gone.
pub async fn content_chunks(db: &Db, master: Option<&MasterKey>, content_id: i64) -> Result<Option<ContentChunks>> {
    let Some(content) = db.content(content_id).await? else {
        return Ok(None);
    };
    let data_key = ChunkCodec::for_content(master, &content.wrapped_key)?.data_key();
    let chunks = db.chunks_of(content.id).await?;
    Ok(Some(ContentChunks {
        size: content.size as u64,
        chunk_size: content.chunk_size as u64,
        data_key,
        locators: chunks.into_iter().map(|chunk| chunk.locator).collect(),
    }))
}

pub struct Reads {
    db: Db,
    tree: Tree,
    store: Arc<dyn ChunkStore>,
    master: Option<MasterKey>,
}

impl Reads {
    pub fn new(tree: Tree, store: Arc<dyn ChunkStore>, master: Option<MasterKey>) -> Self {
        let db = tree.db().clone();
        Reads { db, tree, store, master }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn open(&self, caller: &Caller, path: &str) -> Result<OpenFile> {
        let path = TreePath::parse(path)?;
        let view = self.tree.resolve(&path).await?;
        if view.row.is_folder {
            return Err(Error::failed_precondition(format!("{path} is a folder")));
        }
        let grants = self.tree.grants(caller, &view.row).await?;
        ensure_can_read(caller, &view.row, grants, &path.to_string())?;
        self.open_checked(EntryInfo { path, view }).await
    }

    /// Opens a file whose access the caller already checked.
    pub async fn open_checked(&self, info: EntryInfo) -> Result<OpenFile> {
        let EntryInfo { path, view } = info;
        let content_id = view.row.content_id.ok_or_else(|| Error::data_loss(format!("{path} has no content")))?;
        let content =
            self.db.content(content_id).await?.ok_or_else(|| Error::not_found(format!("{path} was deleted")))?;
        let codec = ChunkCodec::for_content(self.master.as_ref(), &content.wrapped_key)?;
        let chunks = self.db.chunks_of(content_id).await?;
        let (size, chunk_size) = (content.size as u64, content.chunk_size as u64);
        if chunks.len() as u64 != cordvault_core::range::chunk_count(size, chunk_size) {
            return Err(Error::data_loss(format!("{path} is missing chunk records")));
        }
        Ok(OpenFile {
            info: EntryInfo { path, view },
            size,
            chunk_size,
            codec,
            chunks,
            headers: Mutex::default(),
            store: self.store.clone(),
        })
    }
}

impl OpenFile {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Reads from `range.start` up to `MAX_PIECE` bytes, stopping at the
    /// chunk's end; call again from where it stopped.
    pub async fn read_piece(&self, range: Range<u64>) -> Result<Bytes> {
        let range = range.start..range.end.min(self.size).min(range.start + MAX_PIECE);
        let Some(slice) = chunk_slices(range, self.chunk_size).next() else {
            return Ok(Bytes::new());
        };
        let chunk = &self.chunks[slice.chunk_index as usize];
        let locator = ChunkLocator(chunk.locator.clone());
        let plain_len = chunk_len(self.size, self.chunk_size, slice.chunk_index);
        let span = self.codec.span(plain_len, slice.within);
        let (header, blocks) = match self.cached_header(slice.chunk_index) {
            Some(header) => (header, self.fetch(&locator, span.blocks.clone()).await?),
            // Reading from the chunk's start: header and blocks in one request.
            None if span.blocks.start == HEADER_LEN => {
                let both = self.fetch(&locator, 0..span.blocks.end).await?;
                // A copy: a slice would keep the whole fetched buffer alive in the cache.
                let header = Bytes::copy_from_slice(&both[..(HEADER_LEN as usize).min(both.len())]);
                self.remember_header(slice.chunk_index, header.clone());
                let rest = both.slice(header.len()..);
                (header, rest)
            }
            None => {
                let header = self.fetch(&locator, 0..HEADER_LEN).await?;
                self.remember_header(slice.chunk_index, header.clone());
                (header, self.fetch(&locator, span.blocks.clone()).await?)
            }
        };
        check_seal(&header, chunk.seal_id.as_deref(), slice.chunk_index)?;
        let codec = self.codec.clone();
        let index = slice.chunk_index;
        let plaintext =
            tokio::task::spawn_blocking(move || codec.open(index, plain_len, &header, &span, blocks.to_vec()))
                .await
                .map_err(|err| Error::internal(format!("decryption task failed: {err}")))??;
        Ok(Bytes::from(plaintext))
    }

    /// A check of the whole-file SHA-256, when `range` is the whole file
    /// and its hash is known: a read that returns every byte also proves them.
    pub fn whole_file_check(&self, range: &Range<u64>) -> Option<WholeFileCheck> {
        let expected = self.info.view.sha256.clone().filter(|sha256| !sha256.is_empty())?;
        if range.start != 0 || range.end != self.size || self.size == 0 {
            return None;
        }
        Some(WholeFileCheck { context: Context::new(&SHA256), expected, path: self.info.path.to_string() })
    }

    fn remember_header(&self, chunk_index: u64, header: Bytes) {
        self.headers.lock().expect("headers lock").insert(chunk_index, header);
    }

    fn cached_header(&self, chunk_index: u64) -> Option<Bytes> {
        self.headers.lock().expect("headers lock").get(&chunk_index).cloned()
    }

    async fn fetch(&self, locator: &ChunkLocator, range: Range<u64>) -> Result<Bytes> {
        self.store.get_range(locator, range).await.map_err(Error::from)
    }
}
