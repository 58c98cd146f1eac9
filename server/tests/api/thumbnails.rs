//! Thumbnails: made by a real worker (in-process or its own), of the right
//! size and format, served with the file's permissions, queued while no
//! worker is connected, remade on overwrite, gone with the file.

use std::io::Cursor;
use std::time::Duration;

use cordvault_client::proto::{self as pb, ShareLevel};
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions};
use cordvault_server::config::ThumbnailFormat;
use cordvault_test_support::cluster::ThumbnailWorkerProcess;
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};
use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};

backend_tests!(
    every_picture_type_gets_a_thumbnail_of_the_right_size,
    thumbnails_follow_the_files_permissions,
    jobs_wait_for_a_worker_and_rerun_on_overwrite,
    videos_get_a_frame_from_ffmpeg,
);

const WIDTH: u32 = 128;

fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, y| Rgba([(x * 7 % 256) as u8, (y * 3 % 256) as u8, 120, 255]));
    let image = match format {
        // JPEG has no alpha channel; GIF and WebP encoders take RGBA.
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(image).to_rgb8()),
        _ => DynamicImage::ImageRgba8(image),
    };
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).expect("encode fixture");
    out
}

async fn put(client: &Client, path: &str, data: Vec<u8>, policy: ConflictPolicy) {
    let options = UploadOptions { conflict: policy, ..Default::default() };
    client.upload_bytes(bytes::Bytes::from(data), path, &options).await.unwrap();
}

/// Polls until the file has a thumbnail; panics after 60 s.
async fn wait_for_thumbnail(client: &Client, path: &str) -> cordvault_client::proto::GetThumbnailResponse {
    for _ in 0..600 {
        if client.stat(path).await.unwrap().has_thumbnail {
            return client.thumbnail(path).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} got no thumbnail within 60 s");
}

async fn wait_for_empty_queue(server: &TestServer) {
    for _ in 0..600 {
        if server.running().db.queued_thumbnail_jobs().await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("thumbnail jobs still queued after 60 s");
}

fn decoded(thumbnail: &cordvault_client::proto::GetThumbnailResponse) -> (ImageFormat, u32, u32) {
    let format = image::guess_format(&thumbnail.data).expect("a known format");
    let image = image::load_from_memory(&thumbnail.data).expect("the thumbnail decodes");
    (format, image.width(), image.height())
}

async fn every_picture_type_gets_a_thumbnail_of_the_right_size(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.thumbnail_width = WIDTH;
        config.in_process_thumbnails = Some(ThumbnailFormat::Jpeg);
    })
    .await;
    let alice = server.user("alice").await;
    alice.create_folder("/pics").await.unwrap();
    // (name, picture, expected thumbnail size): wide ones shrink to WIDTH
    // keeping their shape; small ones are never enlarged.
    let cases = [
        ("photo.png", picture(640, 480, ImageFormat::Png), (WIDTH, 96)),
        ("portrait.jpg", picture(300, 600, ImageFormat::Jpeg), (WIDTH, 256)),
        ("banner.gif", picture(1024, 64, ImageFormat::Gif), (WIDTH, 8)),
        ("icon.webp", picture(64, 40, ImageFormat::WebP), (64, 40)),
    ];
    for (name, data, _) in &cases {
        put(&alice, &format!("/pics/{name}"), data.clone(), ConflictPolicy::Fail).await;
    }
    // A corrupt picture and a text file get none, and break nothing.
    let mut corrupt = picture(200, 200, ImageFormat::Png);
    corrupt.truncate(100);
    put(&alice, "/pics/corrupt.png", corrupt, ConflictPolicy::Fail).await;
    put(&alice, "/pics/notes.txt", b"no picture here".to_vec(), ConflictPolicy::Fail).await;

    let http = reqwest::Client::new();
    let ticket = alice.download_ticket(pb::TicketPurpose::Thumbnails, "").await.unwrap();
    for (name, _, (width, height)) in &cases {
        let path = format!("/pics/{name}");
        let thumbnail = wait_for_thumbnail(&alice, &path).await;
        assert_eq!(thumbnail.mime_type, "image/jpeg", "{name}");
        assert_eq!(decoded(&thumbnail), (ImageFormat::Jpeg, *width, *height), "{name}");
        assert_eq!((thumbnail.width, thumbnail.height), (*width, *height), "{name}");
        // The same bytes over plain HTTP, as an <img src> fetches them.
        let id = alice.stat(&path).await.unwrap().id;
        let response =
            http.get(format!("{}/thumbnail/{id}", server.url)).query(&[("ticket", &ticket)]).send().await.unwrap();
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        assert_eq!(response.bytes().await.unwrap(), thumbnail.data, "{name}");
    }
    wait_for_empty_queue(&server).await;
    for path in ["/pics/corrupt.png", "/pics/notes.txt"] {
        assert!(!alice.stat(path).await.unwrap().has_thumbnail, "{path}");
        assert_eq!(alice.thumbnail(path).await.unwrap_err().code, ErrorCode::NotFound, "{path}");
    }
    // The worker survived the corrupt picture: a new one still gets a thumbnail.
    put(&alice, "/pics/after.png", picture(300, 300, ImageFormat::Png), ConflictPolicy::Fail).await;
    assert_eq!(decoded(&wait_for_thumbnail(&alice, "/pics/after.png").await), (ImageFormat::Jpeg, WIDTH, WIDTH));
    server.shutdown().await;
}

async fn thumbnails_follow_the_files_permissions(backend: Backend) {
    let server =
        TestServer::start_with(backend, |config| config.in_process_thumbnails = Some(ThumbnailFormat::Webp)).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.create_folder("/alice").await.unwrap();
    put(&alice, "/alice/cat.png", picture(500, 400, ImageFormat::Png), ConflictPolicy::Fail).await;
    let thumbnail = wait_for_thumbnail(&alice, "/alice/cat.png").await;
    assert_eq!(thumbnail.mime_type, "image/webp");
    assert_eq!(decoded(&thumbnail), (ImageFormat::WebP, 256, 205));
    let id = alice.stat("/alice/cat.png").await.unwrap().id;

    let http = reqwest::Client::new();
    let fetch = |token: Option<String>| {
        let mut request = http.get(format!("{}/thumbnail/{id}", server.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(bob.thumbnail("/alice/cat.png").await.unwrap_err().code, ErrorCode::PermissionDenied);
    assert_eq!(fetch(bob.token().map(str::to_owned)).await, 403);
    assert_eq!(fetch(None).await, 401);
    assert_eq!(fetch(alice.token().map(str::to_owned)).await, 200);
    let unknown = http.get(format!("{}/thumbnail/999999", server.url)).bearer_auth(alice.token().unwrap());
    assert_eq!(unknown.send().await.unwrap().status(), 404);
    let garbage = http.get(format!("{}/thumbnail/not-a-number", server.url)).bearer_auth(alice.token().unwrap());
    assert_eq!(garbage.send().await.unwrap().status(), 400);

    alice.share("/alice", "bob", ShareLevel::Read).await.unwrap();
    assert_eq!(bob.thumbnail("/alice/cat.png").await.unwrap().data, thumbnail.data);
    assert_eq!(fetch(bob.token().map(str::to_owned)).await, 200);
    server.shutdown().await;
}

async fn jobs_wait_for_a_worker_and_rerun_on_overwrite(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.create_folder("/pics").await.unwrap();
    put(&alice, "/pics/a.png", picture(400, 200, ImageFormat::Png), ConflictPolicy::Fail).await;
    put(&alice, "/pics/clip.mp4", random_bytes(300_000, 5).to_vec(), ConflictPolicy::Fail).await;
    // No thumbnail worker is connected: the jobs wait in the database.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.running().db.queued_thumbnail_jobs().await.unwrap(), 2);
    assert!(!alice.stat("/pics/a.png").await.unwrap().has_thumbnail);

    // A worker process of its own, without ffmpeg: the video is skipped cleanly.
    let worker = ThumbnailWorkerProcess::start(&server.url, &server.service_password(), "webp", None);
    let first = wait_for_thumbnail(&alice, "/pics/a.png").await;
    assert_eq!(decoded(&first), (ImageFormat::WebP, 256, 128));
    wait_for_empty_queue(&server).await;
    assert_eq!(alice.thumbnail("/pics/clip.mp4").await.unwrap_err().code, ErrorCode::NotFound);

    // Overwriting brings new content: the old thumbnail no longer shows,
    // and a new one is made for the new picture.
    put(&alice, "/pics/a.png", picture(100, 300, ImageFormat::Png), ConflictPolicy::Overwrite).await;
    let second = wait_for_thumbnail(&alice, "/pics/a.png").await;
    assert_eq!(decoded(&second), (ImageFormat::WebP, 100, 300));

    // The thumbnail goes when the file does: trash, empty, purge.
    let db = server.running().db.clone();
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(db.stored_thumbnails().await.unwrap(), 1, "the overwritten content's thumbnail is purged");
    alice.delete("/pics/a.png", false).await.unwrap();
    alice.empty_trash().await.unwrap();
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(db.stored_thumbnails().await.unwrap(), 0);
    drop(worker);
    server.shutdown().await;
}

/// A real video made by ffmpeg (which .ci/install provides), several chunks long.
fn video(dir: &std::path::Path) -> Vec<u8> {
    let out = dir.join("clip.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=4:size=320x240:rate=25,noise=alls=80:allf=t+u",
        ])
        .args(["-c:v", "mpeg4", "-q:v", "1", "-movflags", "+faststart", "-y"])
        .arg(&out)
        .status()
        .expect("ffmpeg must be on PATH for the video thumbnail test (.ci/install installs it)");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

async fn videos_get_a_frame_from_ffmpeg(backend: Backend) {
    let server =
        TestServer::start_with(backend, |config| config.in_process_thumbnails = Some(ThumbnailFormat::Jpeg)).await;
    let alice = server.user("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let clip = video(dir.path());
    assert!(clip.len() as u64 > 2 * server.config.chunk_size, "the video spans several chunks");
    put(&alice, "/clip.mp4", clip, ConflictPolicy::Fail).await;
    let thumbnail = wait_for_thumbnail(&alice, "/clip.mp4").await;
    assert_eq!(decoded(&thumbnail), (ImageFormat::Jpeg, 256, 192));
    // A file that only claims to be a video gets none, cleanly.
    put(&alice, "/fake.mp4", random_bytes(100_000, 9).to_vec(), ConflictPolicy::Fail).await;
    wait_for_empty_queue(&server).await;
    assert_eq!(alice.thumbnail("/fake.mp4").await.unwrap_err().code, ErrorCode::NotFound);
    server.shutdown().await;
}
