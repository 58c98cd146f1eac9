//! One job: the file's picture (or a video's frame) to a thumbnail.

use std::path::PathBuf;
use std::sync::Arc;

use cordvault_proto::worker::v1 as pb;
use cordvault_store::ChunkStore;

use crate::render::{Skip, Thumbnail, ThumbnailFormat, render};
use crate::source::FileChunks;
use crate::video::first_frame;

/// Pictures larger than this are not read whole for a thumbnail.
const MAX_PICTURE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct RenderSettings {
    pub format: ThumbnailFormat,
    /// None: videos get no thumbnail.
    pub ffmpeg: Option<PathBuf>,
}

pub async fn make_thumbnail(
    store: Arc<dyn ChunkStore>,
    job: &pb::ThumbnailJob,
    settings: &RenderSettings,
) -> Result<Thumbnail, Skip> {
    let file = FileChunks::new(store, job)?;
    let picture = if job.mime_type.starts_with("image/") {
        if file.size() > MAX_PICTURE_BYTES {
            return Err(Skip(format!("the picture is over {MAX_PICTURE_BYTES} bytes")));
        }
        file.read_all().await?
    } else if job.mime_type.starts_with("video/") {
        let Some(ffmpeg) = &settings.ffmpeg else {
            return Err(Skip("ffmpeg is not on PATH; videos get no thumbnail".into()));
        };
        first_frame(ffmpeg, &file).await?
    } else {
        return Err(Skip(format!("{} files get no thumbnail", job.mime_type)));
    };
    let (max_width, format) = (job.max_width, settings.format);
    tokio::task::spawn_blocking(move || render(&picture, max_width, format))
        .await
        .map_err(|err| Skip(format!("the renderer failed: {err}")))?
}
