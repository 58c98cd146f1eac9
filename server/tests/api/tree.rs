//! The folder tree: paging, sorting, moves, renames, deletes.

use cordvault_client::proto::SortField;
use cordvault_client::{ConflictPolicy, ErrorCode, ListOptions, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};

backend_tests!(listing_pages_and_sorts, move_rename_and_delete);

async fn listing_pages_and_sorts(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    for i in 0..12 {
        admin.create_folder(&format!("/list/dir-{i:02}")).await.unwrap();
    }
    for i in 0..13 {
        let data = random_bytes(100 * (13 - i), i as u64);
        admin.upload_bytes(data, &format!("/list/file-{i:02}"), &UploadOptions::default()).await.unwrap();
    }
    let mut options = ListOptions { page_size: 10, ..Default::default() };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = admin.list_page("/list", &options).await.unwrap();
        pages += 1;
        seen.extend(page.entries.into_iter().map(|entry| entry.name));
        if page.next_page_token.is_empty() {
            break;
        }
        options.page_token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> =
        (0..12).map(|i| format!("dir-{i:02}")).chain((0..13).map(|i| format!("file-{i:02}"))).collect();
    assert_eq!(seen, expected, "folders first, then files, by name");

    let by_size = ListOptions { page_size: 100, sort_by: SortField::Size, descending: false, ..Default::default() };
    let page = admin.list_page("/list", &by_size).await.unwrap();
    let files: Vec<_> = page.entries.iter().filter(|entry| entry.name.starts_with("file")).collect();
    assert_eq!(files.first().unwrap().name, "file-12", "smallest first");
    let descending = ListOptions { descending: true, ..by_size };
    let page = admin.list_page("/list", &descending).await.unwrap();
    assert!(page.entries[0].name.starts_with("dir"), "folders stay first");
    let files: Vec<_> = page.entries.iter().filter(|entry| entry.name.starts_with("file")).collect();
    assert_eq!(files.first().unwrap().name, "file-00", "largest first");
    server.shutdown().await;
}

async fn move_rename_and_delete(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let data = random_bytes(1000, 1);
    admin.create_folder("/src/inner").await.unwrap();
    admin.create_folder("/dst").await.unwrap();
    admin.upload_bytes(data.clone(), "/src/inner/report.pdf", &UploadOptions::default()).await.unwrap();
    admin.upload_bytes(data.clone(), "/dst/report.pdf", &UploadOptions::default()).await.unwrap();
    assert_eq!(admin.stat("/src/inner/report.pdf").await.unwrap().mime_type, "application/pdf");

    let clash = admin.move_entry("/src/inner/report.pdf", "/dst", ConflictPolicy::Fail).await.unwrap_err();
    assert_eq!(clash.code, ErrorCode::AlreadyExists);
    let moved = admin.move_entry("/src/inner/report.pdf", "/dst", ConflictPolicy::Rename).await.unwrap();
    assert_eq!(moved.path, "/dst/report (1).pdf");
    let renamed = admin.rename("/dst/report (1).pdf", "report.pdf", ConflictPolicy::Rename).await.unwrap();
    assert_eq!(renamed.path, "/dst/report (2).pdf");
    let into_itself = admin.move_entry("/src", "/src/inner", ConflictPolicy::Fail).await.unwrap_err();
    assert_eq!(into_itself.code, ErrorCode::InvalidArgument, "{into_itself}");
    let folder = admin.move_entry("/src/inner", "/dst", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(folder.path, "/dst/inner");
    let overwritten = admin.rename("/dst/report (2).pdf", "report.pdf", ConflictPolicy::Overwrite).await.unwrap();
    assert_eq!(overwritten.path, "/dst/report.pdf");
    assert_eq!(admin.list("/dst").await.unwrap().len(), 2);

    admin.upload_bytes(data.clone(), "/dst/inner/deep.bin", &UploadOptions::default()).await.unwrap();
    let not_empty = admin.delete("/dst", false).await.unwrap_err();
    assert_eq!(not_empty.code, ErrorCode::FailedPrecondition);
    assert_eq!(admin.delete("/dst", true).await.unwrap(), 4);
    assert_eq!(admin.stat("/dst/inner/deep.bin").await.unwrap_err().code, ErrorCode::NotFound);
    let existing = admin.create_folder("/src").await.unwrap();
    assert_eq!(existing.path, "/src", "creating an existing folder is fine");
    server.shutdown().await;
}
