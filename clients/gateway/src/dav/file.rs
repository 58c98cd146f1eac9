//! Open files: GETs read ahead of the client; a whole-file PUT streams
//! into an upload session as the body arrives; a ranged PUT (or one of
//! unknown length) is staged and uploaded when it ends.

use std::io::SeekFrom;

use bytes::{Buf, Bytes};
use cordvault_client::UploadWriter;
use cordvault_client::proto as pb;
use dav_server::fs::{DavFile, DavMetaData, FsError, FsFuture};

use super::metadata::EntryMeta;
use crate::errors::dav_error;
use crate::read_ahead::ReadAhead;
use crate::staging::StagedFile;

/// A file opened through the WebDAV gateway.
pub enum ApiDavFile {
    Reading {
        reader: Box<ReadAhead>,
        position: u64,
    },
    /// Taken by `flush`, which commits the upload.
    Streaming {
        writer: Option<Box<UploadWriter>>,
        path: String,
    },
    Staged {
        staged: Option<StagedFile>,
        position: u64,
        path: String,
    },
}

impl std::fmt::Debug for ApiDavFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiDavFile::Reading { reader, position } => {
                write!(f, "Reading({}, at {position})", reader.entry().path)
            }
            ApiDavFile::Streaming { path, .. } => write!(f, "Streaming({path})"),
            ApiDavFile::Staged { path, position, .. } => write!(f, "Staged({path}, at {position})"),
        }
    }
}

/// What a file being written looks like before it exists.
fn pending_meta(path: &str, size: u64) -> Box<dyn DavMetaData> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let entry = pb::Entry {
        path: path.to_owned(),
        kind: pb::EntryKind::File.into(),
        size,
        updated_at_ms: now.as_millis() as i64,
        created_at_ms: now.as_millis() as i64,
        ..Default::default()
    };
    Box::new(EntryMeta(entry))
}

impl ApiDavFile {
    async fn write(&mut self, data: Bytes) -> Result<(), FsError> {
        match self {
            ApiDavFile::Streaming { writer: Some(writer), .. } => writer.write(&data).await.map_err(dav_error),
            ApiDavFile::Staged { staged: Some(staged), position, .. } => {
                let len = data.len() as u64;
                staged.write_at(*position, data.to_vec()).await.map_err(dav_error)?;
                *position += len;
                Ok(())
            }
            _ => Err(FsError::Forbidden),
        }
    }

    fn seek_to(&mut self, to: SeekFrom) -> Result<u64, FsError> {
        let (position, len) = match self {
            ApiDavFile::Reading { reader, position } => (position, reader.entry().size),
            ApiDavFile::Staged { staged: Some(staged), position, .. } => {
                let len = staged.len();
                (position, len)
            }
            // A streamed upload only goes forward, and is where it is.
            ApiDavFile::Streaming { writer: Some(writer), .. } => {
                let here = writer.received();
                return match to {
                    SeekFrom::Start(offset) if offset == here => Ok(here),
                    SeekFrom::Current(0) => Ok(here),
                    _ => Err(FsError::NotImplemented),
                };
            }
            _ => return Err(FsError::GeneralFailure),
        };
        let target = match to {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::Current(delta) => position.checked_add_signed(delta),
            SeekFrom::End(delta) => len.checked_add_signed(delta),
        };
        *position = target.ok_or(FsError::GeneralFailure)?;
        Ok(*position)
    }
}

impl DavFile for ApiDavFile {
    fn metadata(&mut self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let meta: Box<dyn DavMetaData> = match self {
            ApiDavFile::Reading { reader, .. } => Box::new(EntryMeta(reader.entry().clone())),
            ApiDavFile::Streaming { writer, path } => {
                pending_meta(path, writer.as_ref().map_or(0, |writer| writer.received()))
            }
            ApiDavFile::Staged { staged, path, .. } => pending_meta(path, staged.as_ref().map_or(0, StagedFile::len)),
        };
        Box::pin(std::future::ready(Ok(meta)))
    }

    fn write_buf(&mut self, mut buf: Box<dyn Buf + Send>) -> FsFuture<'_, ()> {
        let data = buf.copy_to_bytes(buf.remaining());
        Box::pin(self.write(data))
    }

    fn write_bytes(&mut self, buf: Bytes) -> FsFuture<'_, ()> {
        Box::pin(self.write(buf))
    }

    fn read_bytes(&mut self, count: usize) -> FsFuture<'_, Bytes> {
        Box::pin(async move {
            let ApiDavFile::Reading { reader, position } = self else { return Err(FsError::Forbidden) };
            let data = reader.read_at(*position, count).await.map_err(dav_error)?;
            *position += data.len() as u64;
            Ok(Bytes::from(data))
        })
    }

    fn seek(&mut self, pos: SeekFrom) -> FsFuture<'_, u64> {
        Box::pin(std::future::ready(self.seek_to(pos)))
    }

    /// The end of a PUT: the upload commits here, so the file appears
    /// whole or not at all.
    fn flush(&mut self) -> FsFuture<'_, ()> {
        Box::pin(async move {
            match self {
                ApiDavFile::Reading { .. } => Ok(()),
                ApiDavFile::Streaming { writer, .. } => match writer.take() {
                    Some(writer) => writer.finish().await.map(drop).map_err(dav_error),
                    None => Ok(()),
                },
                ApiDavFile::Staged { staged, .. } => match staged.take() {
                    Some(staged) => staged.commit().await.map_err(dav_error),
                    None => Ok(()),
                },
            }
        })
    }
}
