//! Direct I/O for the local store: chunk files bypass the page cache, which
//! would otherwise copy every byte once more and hold chunks nobody rereads
//! soon. Falls back to buffered I/O where the file system refuses O_DIRECT.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

/// O_DIRECT wants buffers, offsets and lengths aligned to the block size.
const ALIGN: usize = 4096;

/// A heap buffer aligned for direct I/O.
struct AlignedBuf {
    ptr: *mut u8,
    len: usize,
    layout: Layout,
}

// The buffer is plain owned memory.
unsafe impl Send for AlignedBuf {}

impl AlignedBuf {
    fn zeroed(len: usize) -> Self {
        let capacity = len.div_ceil(ALIGN).max(1) * ALIGN;
        let layout = Layout::from_size_align(capacity, ALIGN).expect("valid layout");
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc_zeroed(layout) };
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        AlignedBuf { ptr, len: capacity, layout }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: ptr points to `len` initialised bytes owned by self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this layout.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

/// Writes `data` to a new file at `path` and makes it durable.
pub fn write_durable(path: &Path, data: &[u8]) -> std::io::Result<()> {
    // Chunks are ciphertext, but still nobody else's to read.
    let direct = OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_DIRECT).open(path);
    let Ok(mut file) = direct else {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
        file.write_all(data)?;
        return file.sync_data();
    };
    let mut buf = AlignedBuf::zeroed(data.len());
    buf.as_mut_slice()[..data.len()].copy_from_slice(data);
    file.write_all(buf.as_mut_slice())?;
    // The padding past the end of the data goes again.
    file.set_len(data.len() as u64)?;
    file.sync_data()
}

/// Reads `len` bytes at `offset` (fewer at the end of the file).
pub fn read_at(path: &Path, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let Ok(file) = OpenOptions::new().read(true).custom_flags(libc::O_DIRECT).open(path) else {
        return read_buffered(&File::open(path)?, offset, len);
    };
    let size = file.metadata()?.len();
    let end = (offset + len as u64).min(size);
    if offset >= end {
        return Ok(Vec::new());
    }
    let start = offset / ALIGN as u64 * ALIGN as u64;
    let mut buf = AlignedBuf::zeroed((end - start) as usize);
    let mut filled = 0;
    let slice = buf.as_mut_slice();
    while start + (filled as u64) < end {
        match file.read_at(&mut slice[filled..], start + filled as u64) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            // Some file systems accept O_DIRECT at open but not for this read.
            Err(_) => return read_buffered(&File::open(path)?, offset, len),
        }
    }
    let skip = (offset - start) as usize;
    let wanted = (end - offset) as usize;
    Ok(slice[skip..skip + wanted.min(filled.saturating_sub(skip))].to_vec())
}

fn read_buffered(file: &File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let size = file.metadata()?.len();
    let end = (offset + len as u64).min(size);
    let mut buf = vec![0u8; end.saturating_sub(offset) as usize];
    file.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}
