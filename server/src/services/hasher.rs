//! Whole-file SHA-256 of an upload whose chunks arrive in any order.
//!
//! Chunks are hashed as soon as they are next in line; a few that arrive
//! early wait in memory. What cannot be hashed on the way (too far out of
//! order, a replaced chunk, a manager restart) is read back from the store
//! at commit, so the check never depends on this cache.

use std::collections::BTreeMap;

use bytes::Bytes;
use ring::digest::{Context, SHA256};

/// Bytes of early chunks one upload may hold back.
const MAX_PENDING_BYTES: usize = 24 * 1024 * 1024;

pub struct ContentHasher {
    context: Context,
    next: u64,
    pending: BTreeMap<u64, Bytes>,
    pending_bytes: usize,
}

impl Default for ContentHasher {
    fn default() -> Self {
        ContentHasher { context: Context::new(&SHA256), next: 0, pending: BTreeMap::new(), pending_bytes: 0 }
    }
}

impl ContentHasher {
    /// Offers a chunk that was just recorded durable.
    pub fn offer(&mut self, index: u64, plaintext: Bytes) {
        if index < self.next || self.pending.contains_key(&index) {
            return;
        }
        if index > self.next {
            if self.pending_bytes + plaintext.len() <= MAX_PENDING_BYTES {
                self.pending_bytes += plaintext.len();
                self.pending.insert(index, plaintext);
            }
            return;
        }
        self.context.update(&plaintext);
        self.next += 1;
        while let Some(early) = self.pending.remove(&self.next) {
            self.pending_bytes -= early.len();
            self.context.update(&early);
            self.next += 1;
        }
    }

    /// The first chunk not hashed yet.
    pub fn next_index(&self) -> u64 {
        self.next
    }

    /// A held-back chunk, so that commit need not read it from the store.
    pub fn take_pending(&mut self, index: u64) -> Option<Bytes> {
        let chunk = self.pending.remove(&index)?;
        self.pending_bytes -= chunk.len();
        Some(chunk)
    }

    /// Hashes the next chunk in line, whatever its source.
    pub fn feed_next(&mut self, plaintext: &[u8]) {
        self.context.update(plaintext);
        self.next += 1;
    }

    pub fn finish_hex(self) -> String {
        hex::encode(self.context.finish().as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_chunks_hash_like_the_file() {
        let chunks: Vec<Bytes> = (0..5u8).map(|i| Bytes::from(vec![i; 1000])).collect();
        let mut hasher = ContentHasher::default();
        for index in [2, 0, 4, 1, 3, 1] {
            hasher.offer(index, chunks[index as usize].clone());
        }
        assert_eq!(hasher.next_index(), 5);
        let whole: Vec<u8> = chunks.concat();
        assert_eq!(hasher.finish_hex(), hex::encode(ring::digest::digest(&SHA256, &whole)));
    }
}
