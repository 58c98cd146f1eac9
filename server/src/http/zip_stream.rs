//! A zip archive streamed with the `zip` crate: its writer runs on a
//! blocking thread, fed entries and file bytes through a channel that holds
//! one, and hands its output to the paced response body in pieces of at most
//! [`PIECE`] bytes. So memory stays flat whatever the archive's size, and the
//! walk of the tree stays a few pieces ahead of what the client has taken
//! (audit F22).
//!
//! Entries are stored, never compressed (sizes are known up front and the
//! archive costs no CPU); names are UTF-8; each entry carries a DOS time and
//! the "UT" Unix time; ZIP64 fields appear where sizes or offsets need them.

use std::io::Write;

use bytes::Bytes;
use cordvault_core::calendar::UtcDateTime;
use cordvault_core::{Error, Result};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use zip::write::{ExtendedFileOptions, FileOptions};

use super::body::PieceSender;

/// Archive bytes go to the client in pieces of about this size.
const PIECE: usize = 256 * 1024;

/// The "UT" extended timestamp extra field.
const UNIX_TIME_EXTRA: u16 = 0x5455;
const FILE_MODE: u32 = 0o644;
const FOLDER_MODE: u32 = 0o755;

enum Op {
    Folder { name: String, modified_ms: i64 },
    File { name: String, size: u64, modified_ms: i64 },
    Data(Bytes),
    Finish,
}

/// The writing end of a zip body.
pub struct ZipStream {
    ops: mpsc::Sender<Op>,
    /// None once the writer stopped and its outcome was taken.
    writer: Option<JoinHandle<Result<u64>>>,
}

impl ZipStream {
    pub fn start(body: PieceSender) -> ZipStream {
        let (ops, queued) = mpsc::channel(1);
        let sink = PieceSink { body, runtime: Handle::current(), buffer: Vec::with_capacity(PIECE), written: 0 };
        let writer = tokio::task::spawn_blocking(move || write_archive(queued, sink));
        ZipStream { ops, writer: Some(writer) }
    }

    pub async fn add_folder(&mut self, name: &str, modified_ms: i64) -> Result<()> {
        self.send(Op::Folder { name: name.to_owned(), modified_ms }).await
    }

    /// Starts a file of exactly `size` bytes; [`ZipStream::file_data`] brings them.
    pub async fn start_file(&mut self, name: &str, size: u64, modified_ms: i64) -> Result<()> {
        self.send(Op::File { name: name.to_owned(), size, modified_ms }).await
    }

    pub async fn file_data(&mut self, mut piece: Bytes) -> Result<()> {
        while piece.len() > PIECE {
            self.send(Op::Data(piece.split_to(PIECE))).await?;
        }
        self.send(Op::Data(piece)).await
    }

    /// Writes the central directory; the archive's size in bytes.
    pub async fn finish(mut self) -> Result<u64> {
        self.send(Op::Finish).await?;
        self.writer_outcome().await
    }

    async fn send(&mut self, op: Op) -> Result<()> {
        match self.ops.send(op).await {
            Ok(()) => Ok(()),
            // The writer stopped: its error says why (the client left, a bad size).
            Err(_) => self.writer_outcome().await.and(Err(Error::unavailable("the zip writer stopped"))),
        }
    }

    async fn writer_outcome(&mut self) -> Result<u64> {
        let writer = self.writer.take().ok_or_else(|| Error::unavailable("the zip writer stopped"))?;
        writer.await.map_err(|err| Error::internal(format!("zip writer: {err}")))?
    }
}

/// The file being written: what it announced and what came so far.
struct OpenFile {
    name: String,
    size: u64,
    written: u64,
}

impl OpenFile {
    fn complete(&self) -> Result<()> {
        if self.written != self.size {
            return Err(Error::data_loss(format!(
                "{} gave {} of its {} bytes; the zip is cut off",
                self.name, self.written, self.size
            )));
        }
        Ok(())
    }
}

fn write_archive(mut ops: mpsc::Receiver<Op>, sink: PieceSink) -> Result<u64> {
    let mut zip = zip::ZipWriter::new_stream(sink);
    let mut open: Option<OpenFile> = None;
    while let Some(op) = ops.blocking_recv() {
        match op {
            Op::Folder { name, modified_ms } => {
                open.take().map(|file| file.complete()).transpose()?;
                zip.add_directory(name, options(modified_ms, FOLDER_MODE, false)?).map_err(zip_error)?;
            }
            Op::File { name, size, modified_ms } => {
                open.take().map(|file| file.complete()).transpose()?;
                let large = size >= u64::from(u32::MAX);
                zip.start_file(name.as_str(), options(modified_ms, FILE_MODE, large)?).map_err(zip_error)?;
                open = Some(OpenFile { name, size, written: 0 });
            }
            Op::Data(piece) => {
                let file = open.as_mut().ok_or_else(|| Error::internal("file data outside a file"))?;
                file.written += piece.len() as u64;
                if file.written > file.size {
                    return Err(Error::data_loss(format!("{} gave more than its {} bytes", file.name, file.size)));
                }
                zip.write_all(&piece).map_err(gone)?;
            }
            Op::Finish => {
                open.take().map(|file| file.complete()).transpose()?;
                let mut sink = zip.finish().map_err(zip_error)?.into_inner();
                sink.flush().map_err(gone)?;
                return Ok(sink.written);
            }
        }
    }
    Err(Error::unavailable("the zip walk stopped before the archive was finished"))
}

/// Stored entries with the DOS time, the "UT" Unix time where it fits, and
/// Unix permissions.
fn options(modified_ms: i64, mode: u32, large: bool) -> Result<FileOptions<'static, 'static, ExtendedFileOptions>> {
    let dos = dos_date_time(modified_ms);
    let mut options = FileOptions::<ExtendedFileOptions>::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(dos)
        .unix_permissions(mode)
        .large_file(large);
    // "UT": a flags byte (1: modification time follows), then the time;
    // the same in the local and the central header.
    if let Ok(seconds) = i32::try_from(modified_ms.div_euclid(1000)) {
        let mut timestamp = vec![1u8];
        timestamp.extend_from_slice(&seconds.to_le_bytes());
        options.add_extra_field(UNIX_TIME_EXTRA, timestamp, false).map_err(zip_error)?;
    }
    Ok(options)
}

/// The MS-DOS time of a Unix time in milliseconds, taken as UTC. The format
/// covers 1980 to 2107 in 2-second steps; times outside are clamped to its ends.
fn dos_date_time(modified_ms: i64) -> zip::DateTime {
    let time = UtcDateTime::from_unix(modified_ms.div_euclid(1000));
    if time.year < 1980 {
        return zip::DateTime::DEFAULT;
    }
    if time.year > 2107 {
        return zip::DateTime::from_date_and_time(2107, 12, 31, 23, 59, 58).unwrap_or_default();
    }
    // In range by construction; the casts cannot truncate.
    let (month, day, hour, minute, second) =
        (time.month as u8, time.day as u8, time.hour as u8, time.minute as u8, time.second as u8);
    zip::DateTime::from_date_and_time(time.year as u16, month, day, hour, minute, second).unwrap_or_default()
}

fn zip_error(err: zip::result::ZipError) -> Error {
    match err {
        zip::result::ZipError::Io(err) => gone(err),
        err => Error::internal(format!("zip writer: {err}")),
    }
}

/// The body's own error (the client left or stalled) where the sink gave one.
fn gone(err: std::io::Error) -> Error {
    match err.into_inner().map(|inner| inner.downcast::<Error>()) {
        Some(Ok(err)) => *err,
        Some(Err(other)) => Error::unavailable(format!("the zip could not be sent: {other}")),
        None => Error::unavailable("the zip could not be sent"),
    }
}

/// Collects the writer's output into pieces of at most [`PIECE`] bytes and
/// hands each to the body, waiting (on this blocking thread) while the
/// client has not taken the one before.
struct PieceSink {
    body: PieceSender,
    runtime: Handle,
    buffer: Vec<u8>,
    written: u64,
}

impl Write for PieceSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let taken = data.len().min(PIECE - self.buffer.len());
        self.buffer.extend_from_slice(&data[..taken]);
        self.written += taken as u64;
        if self.buffer.len() == PIECE {
            self.flush()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(PIECE)));
        self.runtime.block_on(self.body.send(piece)).map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(time: zip::DateTime) -> (u16, u8, u8, u8, u8, u8) {
        (time.year(), time.month(), time.day(), time.hour(), time.minute(), time.second())
    }

    #[test]
    fn dos_times_are_utc_and_clamped() {
        // 2026-03-01 13:37:42 UTC (leap-year edge of the calendar maths).
        assert_eq!(parts(dos_date_time(1_772_372_262_000)), (2026, 3, 1, 13, 37, 42));
        assert_eq!(parts(dos_date_time(951_782_400_000)), (2000, 2, 29, 0, 0, 0));
        // Odd seconds round down: the format counts 2-second steps.
        assert_eq!(parts(dos_date_time(1_772_372_263_999)), (2026, 3, 1, 13, 37, 42));
        assert_eq!(parts(dos_date_time(0)), (1980, 1, 1, 0, 0, 0));
        assert_eq!(parts(dos_date_time(-86_400_000)), (1980, 1, 1, 0, 0, 0));
        assert_eq!(parts(dos_date_time(i64::MAX)), (2107, 12, 31, 23, 59, 58));
    }
}
