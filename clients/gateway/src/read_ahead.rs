//! Reads of a remote file at any offset, served from one Read stream that
//! runs ahead of the reader.
//!
//! SFTP answers one request at a time and WebDAV asks for a file piece by
//! piece, so a read that waited for the manager each time would crawl: the
//! stream keeps running from the last offset to the end of the file and
//! sequential reads are answered from it; a jump elsewhere starts a new
//! stream there.

use bytes::BytesMut;
use cordvault_client::proto as pb;
use cordvault_client::{Client, RemoteReader};
use cordvault_core::Result;

pub struct ReadAhead {
    client: Client,
    path: String,
    entry: pb::Entry,
    /// The running Read stream, and the offset its next byte belongs to.
    stream: Option<(RemoteReader, u64)>,
    /// Bytes received from the stream but not yet asked for; they start
    /// at the stream's offset.
    ahead: BytesMut,
}

impl ReadAhead {
    pub fn new(client: Client, path: &str, entry: pb::Entry) -> Self {
        Self { client, path: path.to_owned(), entry, stream: None, ahead: BytesMut::new() }
    }

    pub fn entry(&self) -> &pb::Entry {
        &self.entry
    }

    /// Up to `len` bytes from `offset`; fewer only at the end of the file.
    /// A short answer elsewhere would make a client that pipelines its
    /// requests ask for the rest after requests it already sent.
    pub async fn read_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let size = self.entry.size;
        if offset >= size {
            return Ok(Vec::new());
        }
        let want = (len as u64).min(size - offset) as usize;
        if self.stream.as_ref().is_none_or(|(_, at)| *at != offset) {
            tracing::debug!(path = %self.path, offset, "read stream (re)started");
            self.restart_at(offset).await?;
        }
        let Some((reader, at)) = self.stream.as_mut() else { unreachable!("restart_at sets the stream") };
        while self.ahead.len() < want {
            match reader.next_piece().await? {
                Some(piece) => self.ahead.extend_from_slice(&piece),
                None => break,
            }
        }
        let n = want.min(self.ahead.len());
        let data = self.ahead.split_to(n).to_vec();
        *at += n as u64;
        Ok(data)
    }

    async fn restart_at(&mut self, offset: u64) -> Result<()> {
        self.stream = None;
        self.ahead.clear();
        let mut reader = self.client.open_reader(&self.path).await?;
        reader.start_range(offset, 0).await?;
        self.stream = Some((reader, offset));
        Ok(())
    }
}
