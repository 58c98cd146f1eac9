//! A frame from the first seconds of a video, by ffmpeg. The file is piped
//! in chunk by chunk, so only the chunks ffmpeg reads before it has its
//! frame are fetched from the store.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::render::Skip;
use crate::source::FileChunks;

const FFMPEG_TIMEOUT: Duration = Duration::from_secs(60);

/// `ffmpeg` on PATH, if there is one.
pub fn find_ffmpeg() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("ffmpeg")).find(|candidate| candidate.is_file())
}

/// A PNG of the frame at one second, or of the first frame of a shorter video.
pub async fn first_frame(ffmpeg: &Path, file: &FileChunks) -> Result<Vec<u8>, Skip> {
    for seek in ["1", "0"] {
        let frame = tokio::time::timeout(FFMPEG_TIMEOUT, grab(ffmpeg, file, seek))
            .await
            .map_err(|_| Skip("ffmpeg took too long".into()))??;
        if !frame.is_empty() {
            return Ok(frame);
        }
    }
    Err(Skip("ffmpeg found no frame in the video".into()))
}

async fn grab(ffmpeg: &Path, file: &FileChunks, seek: &str) -> Result<Vec<u8>, Skip> {
    let mut child = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-ss", seek, "-frames:v", "1"])
        .args(["-f", "image2pipe", "-vcodec", "png", "pipe:1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| Skip(format!("cannot start ffmpeg: {err}")))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let feed = async move {
        for index in 0..file.chunk_count() {
            let chunk = file.chunk(index).await?;
            // ffmpeg closes its input once it has its frame: stop reading then.
            if stdin.write_all(&chunk).await.is_err() {
                break;
            }
        }
        Ok::<_, Skip>(())
    };
    let mut frame = Vec::new();
    let (fed, read) = tokio::join!(feed, stdout.read_to_end(&mut frame));
    fed?;
    read.map_err(|err| Skip(format!("cannot read ffmpeg's output: {err}")))?;
    let _ = child.wait().await;
    Ok(frame)
}
