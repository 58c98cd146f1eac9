//! Audit findings about input and resources (shared/reference/security-audit.md):
//! guessing, ranges, media types, names, headers and the first account.

use std::time::Duration;

use cordvault_client::proto as pb;
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};
use reqwest::StatusCode;

backend_tests!(
    f4_login_guesses_are_locked_out_per_account_and_address,
    f4_link_password_guesses_are_locked_out,
    f4_worker_password_guesses_are_locked_out,
    f5_media_types_are_validated,
    f7_overlapping_ranges_do_not_amplify,
    f7_every_link_range_counts_as_a_download,
    f9_unknown_users_cost_a_password_check,
    f10_only_one_first_user_becomes_administrator,
    f13_look_alike_and_invisible_names_are_refused,
    f13_names_stored_before_nfc_are_normalised,
    f14_the_web_ui_cannot_be_framed,
    f16_paths_are_at_most_256_folders_deep,
    f18_downloads_stop_when_tokens_are_revoked,
    f21_the_link_form_stays_on_its_link,
    f15_quotas_bound_bytes_entries_and_upload_sessions,
);

async fn f4_login_guesses_are_locked_out_per_account_and_address(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.user("bob").await;
    server.user("carol").await;
    let anonymous = server.anonymous().await;
    for _ in 0..5 {
        let wrong = anonymous.login("bob", "not-bobs-password").await.unwrap_err();
        assert_eq!(wrong.code, ErrorCode::Unauthenticated, "{wrong}");
    }
    let wrong = anonymous.login("bob", "not-bobs-password").await.unwrap_err();
    assert_eq!(wrong.code, ErrorCode::Unauthenticated, "the sixth failure still answers, then locks");
    let locked = anonymous.login("bob", "bob-password").await.unwrap_err();
    assert_eq!(locked.code, ErrorCode::ResourceExhausted, "{locked}");
    assert!(locked.retry_after.is_some(), "the answer says when to try again");
    // Another account from the same address is not locked yet.
    anonymous.login("carol", "carol-password").await.unwrap();
    server.clock().advance(locked.retry_after.unwrap() + Duration::from_secs(1));
    anonymous.login("bob", "bob-password").await.unwrap();

    // One address guessing across many accounts is locked out too.
    let mut outcome = None;
    for n in 0..40 {
        let err = anonymous.login(&format!("nobody-{n}"), "wrong-password").await.unwrap_err();
        if err.code == ErrorCode::ResourceExhausted {
            outcome = Some(n);
            break;
        }
    }
    let after = outcome.expect("the address is locked out");
    assert!(after >= 10, "an address gets more free failures than an account: locked after {after}");
    server.shutdown().await;
}

async fn f4_link_password_guesses_are_locked_out(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.upload_bytes(random_bytes(100, 1), "/l.txt", &UploadOptions::default()).await.unwrap();
    let request =
        pb::CreateLinkRequest { path: "/l.txt".into(), password: "correct horse".into(), ..Default::default() };
    let link = alice.links().unwrap().create_link(request).await.unwrap().into_inner().link.unwrap();
    let http = reqwest::Client::new();
    let get = |password: &'static str| {
        http.get(format!("{}/s/{}", server.url, link.id)).header("x-link-password", password).send()
    };
    for _ in 0..6 {
        assert_eq!(get("wrong").await.unwrap().status(), StatusCode::FORBIDDEN);
    }
    let locked = get("correct horse").await.unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait >= 1);
    server.clock().advance(Duration::from_secs(wait + 1));
    assert_eq!(get("correct horse").await.unwrap().status(), StatusCode::OK);
    server.shutdown().await;
}

async fn f4_worker_password_guesses_are_locked_out(backend: Backend) {
    use cordvault_proto::worker::v1 as worker;
    use worker::worker_link_service_client::WorkerLinkServiceClient;
    let server = TestServer::start(backend).await;
    let connect = |password: String| {
        let url = server.url.clone();
        async move {
            let hello = worker::ConnectRequest {
                message: Some(worker::connect_request::Message::Hello(worker::Hello {
                    kind: pb::WorkerKind::Thumbnail as i32,
                    service_password: password,
                    address: "guesser".into(),
                    capacity: 1,
                })),
            };
            let mut client = WorkerLinkServiceClient::new(cordvault_test_support::channel(&url).await);
            client.connect(tokio_stream::iter([hello])).await.map(|_| ())
        }
    };
    let mut codes = Vec::new();
    for n in 0..25 {
        codes.push(connect(format!("guess-{n}")).await.unwrap_err().code());
    }
    assert_eq!(codes[0], tonic::Code::PermissionDenied);
    assert_eq!(codes.last(), Some(&tonic::Code::ResourceExhausted), "{codes:?}");
    let right = connect(server.service_password()).await.unwrap_err();
    assert_eq!(right.code(), tonic::Code::ResourceExhausted, "locked out even with the right password");
    server.shutdown().await;
}

async fn f5_media_types_are_validated(backend: Backend) {
    let server = TestServer::start(backend).await;
    let bob = server.user("bob").await;
    let upload = |mime_type: String, path: &'static str| {
        let bob = bob.clone();
        async move {
            let options = UploadOptions { mime_type, ..UploadOptions::default() };
            bob.upload_bytes(random_bytes(10, 1), path, &options).await
        }
    };
    let injected = upload("text/plain\r\nX-Injected: yes\r\n\r\n<script>".into(), "/a.txt").await.unwrap_err();
    assert_eq!(injected.code, ErrorCode::InvalidArgument, "{injected}");
    let huge = upload(format!("text/{}", "x".repeat(1_200_000)), "/b.txt").await.unwrap_err();
    assert_eq!(huge.code, ErrorCode::InvalidArgument);
    assert!(huge.message.len() < 1000, "the error does not echo the whole value");
    assert_eq!(upload("no-subtype".into(), "/c.txt").await.unwrap_err().code, ErrorCode::InvalidArgument);
    upload("Text/Plain; charset=utf-8".into(), "/d.txt").await.unwrap();
    assert_eq!(bob.stat("/d.txt").await.unwrap().mime_type, "text/plain; charset=utf-8");
    let response = reqwest::Client::new()
        .get(format!("{}/download", server.url))
        .query(&[("path", "/d.txt")])
        .header("range", "bytes=0-1,5-6")
        .bearer_auth(bob.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    let body = response.bytes().await.unwrap();
    assert!(!String::from_utf8_lossy(&body).contains("X-Injected"));
    assert!(bob.list("/").await.unwrap().iter().all(|entry| entry.name != "a.txt" && entry.name != "b.txt"));
    server.shutdown().await;
}

async fn download(server: &TestServer, client: &Client, path: &str, range: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/download", server.url))
        .query(&[("path", path)])
        .header("range", range)
        .bearer_auth(client.token().unwrap())
        .send()
        .await
        .unwrap()
}

async fn f7_overlapping_ranges_do_not_amplify(backend: Backend) {
    let server = TestServer::start(backend).await;
    let bob = server.user("bob").await;
    let data = random_bytes(300_000, 7);
    bob.upload_bytes(data.clone(), "/amp.bin", &UploadOptions::default()).await.unwrap();
    for range in [vec!["0-"; 64].join(","), vec!["-300000"; 64].join(","), vec!["1-"; 64].join(",")] {
        let response = download(&server, &bob, "/amp.bin", &format!("bytes={range}")).await;
        let status = response.status();
        let body = response.bytes().await.unwrap();
        assert!(body.len() <= data.len(), "{status}: {} bytes for a {} byte file", body.len(), data.len());
        assert_eq!(&body[..], &data[data.len() - body.len()..], "the one merged range");
    }
    // Distinct ranges still come back as parts, in order.
    let response = download(&server, &bob, "/amp.bin", "bytes=200000-200009,0-9").await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    let body = response.bytes().await.unwrap();
    assert!(body.len() < 1000);
    let many = (0..20).map(|n| format!("{}-{}", n * 10_000, n * 10_000 + 9)).collect::<Vec<_>>().join(",");
    let response = download(&server, &bob, "/amp.bin", &format!("bytes={many}")).await;
    assert_eq!(response.status(), StatusCode::OK, "too many ranges: the whole file once");
    assert_eq!(response.bytes().await.unwrap(), data);
    server.shutdown().await;
}

async fn f7_every_link_range_counts_as_a_download(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.upload_bytes(random_bytes(1000, 1), "/limited.bin", &UploadOptions::default()).await.unwrap();
    let request = pb::CreateLinkRequest { path: "/limited.bin".into(), max_downloads: 2, ..Default::default() };
    let link = alice.links().unwrap().create_link(request).await.unwrap().into_inner().link.unwrap();
    let http = reqwest::Client::new();
    let get = |range: &'static str| http.get(format!("{}/s/{}", server.url, link.id)).header("range", range).send();
    assert_eq!(get("bytes=1-").await.unwrap().status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(get("bytes=1-,1-").await.unwrap().status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(get("bytes=1-").await.unwrap().status(), StatusCode::GONE, "two downloads were used up");
    server.shutdown().await;
}

async fn f9_unknown_users_cost_a_password_check(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.user("bob").await;
    let anonymous = server.anonymous().await;
    let throttle = &server.running().throttle;
    let before = throttle.password_checks();
    anonymous.login("bob", "wrong-password").await.unwrap_err();
    assert_eq!(throttle.password_checks(), before + 1);
    let unknown = anonymous.login("nosuchuser", "wrong-password").await.unwrap_err();
    assert_eq!(throttle.password_checks(), before + 2, "an unknown user costs the same Argon2 check");
    let known = anonymous.login("bob", "wrong-password").await.unwrap_err();
    assert_eq!(unknown.message, known.message, "and gets the same answer");
    // Names and passwords no account can have are refused as wrong with no
    // Argon2 work: a megabyte of either costs nothing.
    let long = "x".repeat(1 << 20);
    for (username, password) in [(long.as_str(), "wrong-password"), ("bob", long.as_str())] {
        let err = anonymous.login(username, password).await.unwrap_err();
        assert_eq!(err.message, known.message);
    }
    assert_eq!(throttle.password_checks(), before + 3);
    server.shutdown().await;
}

async fn f10_only_one_first_user_becomes_administrator(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut attempts = Vec::new();
    for n in 0..10 {
        let client = server.anonymous().await;
        attempts.push(tokio::spawn(async move { client.register(&format!("first-{n}"), "first-password").await }));
    }
    let mut admins = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(user) => {
                assert!(user.is_admin);
                admins += 1;
            }
            Err(err) => assert_eq!(err.code, ErrorCode::Unauthenticated, "{err}"),
        }
    }
    assert_eq!(admins, 1, "exactly one concurrent first registration wins");
    server.shutdown().await;
}

async fn f13_look_alike_and_invisible_names_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let carol = server.user("carol").await;
    carol.create_folder("/carol").await.unwrap();
    let nfc = "/carol/r\u{e9}sum\u{e9}.txt";
    let nfd = "/carol/re\u{301}sume\u{301}.txt";
    carol.upload_bytes(random_bytes(10, 1), nfc, &UploadOptions::default()).await.unwrap();
    let options = UploadOptions { conflict: ConflictPolicy::Fail, ..UploadOptions::default() };
    let twin = carol.upload_bytes(random_bytes(10, 2), nfd, &options).await.unwrap_err();
    assert_eq!(twin.code, ErrorCode::AlreadyExists, "the NFD name is the NFC one: {twin}");
    assert_eq!(carol.stat(nfd).await.unwrap().path, nfc, "either form finds the file");
    for name in [
        "invoice\u{202e}txt.exe",
        "zero\u{200b}width.txt",
        "\u{feff}bom.txt",
        "line\u{2028}sep.txt",
        "back\\slash.txt",
        "trailing.txt ",
        "trailing.txt.",
    ] {
        let path = format!("/carol/{name}");
        let refused = carol.create_folder(&path).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidArgument, "{name:?}: {refused}");
        let refused = carol.upload_bytes(random_bytes(10, 3), &path, &UploadOptions::default()).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidArgument, "{name:?}");
        let renamed = carol.rename(nfc, name, ConflictPolicy::Fail).await.unwrap_err();
        assert_eq!(renamed.code, ErrorCode::InvalidArgument, "{name:?}");
    }
    assert_eq!(carol.list("/carol").await.unwrap().len(), 1);
    // A rename to the NFD form of another name collides like the NFC one.
    carol.upload_bytes(random_bytes(10, 4), "/carol/other.txt", &UploadOptions::default()).await.unwrap();
    let clash = carol.rename("/carol/other.txt", "re\u{301}sume\u{301}.txt", ConflictPolicy::Fail).await.unwrap_err();
    assert_eq!(clash.code, ErrorCode::AlreadyExists);
    server.shutdown().await;
}

/// Names an older version stored as given (NFD here) could not be reached
/// by their paths, which are looked up in NFC, and could stand beside
/// their NFC twins; the manager renames them once at start-up.
async fn f13_names_stored_before_nfc_are_normalised(backend: Backend) {
    use cordvault_server::db::entries::NewEntry;
    let server = TestServer::start(backend).await;
    let carol = server.user("carol").await;
    let folder = carol.create_folder("/carol").await.unwrap();
    carol.create_folder("/carol/caf\u{e9}").await.unwrap();
    let owner = carol.who_am_i().await.unwrap().id;
    let db = &server.running().db;
    for name in ["re\u{301}sume\u{301}", "cafe\u{301}"] {
        let legacy = NewEntry {
            parent_id: folder.id,
            name,
            is_folder: true,
            owner_id: owner,
            size: 0,
            mime_type: "",
            content_id: None,
            created_at: 0,
            updated_at: 0,
            visibility: cordvault_core::visibility::Visibility::Private.code(),
        };
        db.insert_entry(legacy).await.unwrap();
    }
    let lost = carol.stat("/carol/r\u{e9}sum\u{e9}").await.unwrap_err();
    assert_eq!(lost.code, ErrorCode::NotFound, "the NFD entry cannot be reached by its path");

    assert_eq!(db.normalize_legacy_names().await.unwrap(), 2);
    let mut names: Vec<String> = carol.list("/carol").await.unwrap().into_iter().map(|entry| entry.name).collect();
    names.sort();
    assert_eq!(names, ["caf\u{e9}", "caf\u{e9} (1)", "r\u{e9}sum\u{e9}"]);
    assert_eq!(carol.stat("/carol/re\u{301}sume\u{301}").await.unwrap().path, "/carol/r\u{e9}sum\u{e9}");
    assert_eq!(db.normalize_legacy_names().await.unwrap(), 0, "nothing is left to rename");
    server.shutdown().await;
}

async fn f14_the_web_ui_cannot_be_framed(backend: Backend) {
    let server = TestServer::start(backend).await;
    for path in ["/", "/app.js"] {
        let response = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["x-frame-options"], "DENY");
    }
    server.shutdown().await;
}

async fn f21_the_link_form_stays_on_its_link(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.upload_bytes(random_bytes(100, 1), "/form.txt", &UploadOptions::default()).await.unwrap();
    let request =
        pb::CreateLinkRequest { path: "/form.txt".into(), password: "correct horse".into(), ..Default::default() };
    let link = alice.links().unwrap().create_link(request).await.unwrap().into_inner().link.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = format!("/s/{}", link.id);
    for next in [format!("{base}/../../admin"), format!("{base}/%2e%2e/%2e%2e/health"), format!("{base}/./zip")] {
        let response = http
            .post(format!("{}{base}", server.url))
            .form(&[("password", "correct horse"), ("next", next.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], base.as_str(), "{next} is refused for the link itself");
    }
    server.shutdown().await;
}

async fn f16_paths_are_at_most_256_folders_deep(backend: Backend) {
    let server = TestServer::start(backend).await;
    let bob = server.user("bob").await;
    let deepest = "/d".repeat(256);
    assert_eq!(bob.create_folder(&deepest).await.unwrap().path, deepest);
    let too_deep = bob.create_folder(&format!("{deepest}/d")).await.unwrap_err();
    assert_eq!(too_deep.code, ErrorCode::InvalidArgument, "{too_deep}");
    // Nor can a move nest a subtree deeper than that.
    bob.create_folder("/tree/a/b").await.unwrap();
    let shallow = "/d".repeat(254);
    let moved = bob.move_entry("/tree", &shallow, ConflictPolicy::Fail).await.unwrap_err();
    assert_eq!(moved.code, ErrorCode::InvalidArgument, "{moved}");
    bob.move_entry("/tree/a", &"/d".repeat(253), ConflictPolicy::Fail).await.unwrap();
    server.shutdown().await;
}

async fn f18_downloads_stop_when_tokens_are_revoked(backend: Backend) {
    use futures::StreamExt;
    let server = TestServer::start(backend).await;
    let dave = server.user("dave").await;
    let data = random_bytes(24 * 1024 * 1024, 18);
    dave.upload_bytes(data.clone(), "/big.bin", &UploadOptions::default()).await.unwrap();
    let response = reqwest::Client::new()
        .get(format!("{}/download", server.url))
        .query(&[("path", "/big.bin")])
        .bearer_auth(dave.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.bytes_stream();
    let mut received = 0usize;
    while received < 1024 * 1024 {
        received += body.next().await.unwrap().unwrap().len();
    }
    dave.update_password("dave-password", "a-new-password").await.unwrap();
    let mut broken = false;
    while let Some(piece) = body.next().await {
        match piece {
            Ok(piece) => received += piece.len(),
            Err(_) => {
                broken = true;
                break;
            }
        }
    }
    assert!(broken, "the download went on after the password change ({received} bytes)");
    assert!(received < data.len(), "{received} of {} bytes arrived", data.len());
    server.shutdown().await;
}

async fn start(server: &TestServer, client: &Client, path: &str, size: u64) -> cordvault_client::Result<String> {
    let mut transfer =
        pb::transfer_service_client::TransferServiceClient::new(cordvault_test_support::channel(&server.url).await);
    let request = pb::StartUploadRequest { path: path.into(), size, ..Default::default() };
    let response = transfer.start_upload(cordvault_test_support::authed(request, client.token().unwrap())).await;
    Ok(response.map_err(cordvault_client::from_status)?.into_inner().upload_id)
}

async fn set_quota(admin: &Client, request: pb::SetQuotaRequest) -> cordvault_client::Result<pb::Quota> {
    let response = admin.admin()?.set_quota(request).await.map_err(cordvault_client::from_status)?;
    Ok(response.into_inner().quota.unwrap())
}

async fn f15_quotas_bound_bytes_entries_and_upload_sessions(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;

    // The defaults: no exabyte announcements.
    let huge = start(&server, &bob, "/huge.bin", 1 << 62).await.unwrap_err();
    assert_eq!(huge.code, ErrorCode::ResourceExhausted, "{huge}");
    assert!(huge.message.contains("quota"), "{huge}");
    let quota = bob.quota().await.unwrap();
    assert_eq!((quota.max_bytes, quota.max_entries, quota.max_upload_sessions), (1 << 40, 1_000_000, 100));
    assert_eq!((quota.used_bytes, quota.used_entries, quota.open_upload_sessions), (0, 0, 0));

    // Only an administrator sets quotas.
    let request = pb::SetQuotaRequest {
        username: "bob".into(),
        max_bytes: Some(3000),
        max_entries: Some(5),
        max_upload_sessions: Some(2),
    };
    assert_eq!(set_quota(&bob, request.clone()).await.unwrap_err().code, ErrorCode::PermissionDenied);
    let set = set_quota(&admin, request).await.unwrap();
    assert_eq!((set.max_bytes, set.max_entries, set.max_upload_sessions), (3000, 5, 2));

    // Bytes: what fits is stored, what does not is refused and leaves nothing.
    bob.upload_bytes(random_bytes(1000, 1), "/one.bin", &UploadOptions::default()).await.unwrap();
    let over = bob.upload_bytes(random_bytes(2500, 2), "/two.bin", &UploadOptions::default()).await.unwrap_err();
    assert_eq!(over.code, ErrorCode::ResourceExhausted, "{over}");
    assert!(over.message.contains("3000") || over.message.contains("2.9 KiB"), "the limit is named: {over}");
    assert_eq!(bob.stat("/two.bin").await.unwrap_err().code, ErrorCode::NotFound);
    // Another user's quota is their own.
    carol.upload_bytes(random_bytes(2500, 3), "/carols.bin", &UploadOptions::default()).await.unwrap();

    // The trash counts until it is emptied.
    bob.delete("/one.bin", false).await.unwrap();
    let trashed = bob.upload_bytes(random_bytes(2500, 2), "/two.bin", &UploadOptions::default()).await;
    assert_eq!(trashed.unwrap_err().code, ErrorCode::ResourceExhausted);
    bob.empty_trash().await.unwrap();
    bob.upload_bytes(random_bytes(2500, 2), "/two.bin", &UploadOptions::default()).await.unwrap();

    // Open upload sessions, and the bytes they announce.
    let first = start(&server, &bob, "/s1.bin", 10).await.unwrap();
    start(&server, &bob, "/s2.bin", 10).await.unwrap();
    let third = start(&server, &bob, "/s3.bin", 10).await.unwrap_err();
    assert_eq!(third.code, ErrorCode::ResourceExhausted, "{third}");
    assert!(third.message.contains("upload sessions"), "{third}");
    let usage = bob.quota().await.unwrap();
    assert_eq!((usage.used_bytes, usage.open_upload_sessions), (2520, 2));
    let mut transfer =
        pb::transfer_service_client::TransferServiceClient::new(cordvault_test_support::channel(&server.url).await);
    let abort = pb::AbortUploadRequest { upload_id: first };
    transfer.abort_upload(cordvault_test_support::authed(abort, bob.token().unwrap())).await.unwrap();
    start(&server, &bob, "/s3.bin", 10).await.unwrap();

    // Entries: /two.bin and four folders make five.
    let mut created = 0;
    let refused = loop {
        match bob.create_folder(&format!("/folder-{created}")).await {
            Ok(_) => created += 1,
            Err(err) => break err,
        }
        assert!(created <= 5, "the entry quota holds");
    };
    assert_eq!(refused.code, ErrorCode::ResourceExhausted, "{refused}");
    assert_eq!(created, 4);
    // Concurrent requests of one user cannot slip past the check together:
    // with room for two more, eight at once make exactly two.
    let room = pb::SetQuotaRequest {
        username: "bob".into(),
        max_bytes: Some(3000),
        max_entries: Some(7),
        max_upload_sessions: Some(2),
    };
    set_quota(&admin, room).await.unwrap();
    let names: Vec<String> = (0..8).map(|n| format!("/race-{n}")).collect();
    let racing: Vec<_> = names.iter().map(|name| bob.create_folder(name)).collect();
    let raced = futures::future::join_all(racing).await;
    assert_eq!(raced.iter().filter(|result| result.is_ok()).count(), 2, "{raced:?}");

    // Unset limits return to the defaults; 0 lifts a limit.
    let reset = pb::SetQuotaRequest { username: "bob".into(), max_entries: Some(0), ..Default::default() };
    let reset = set_quota(&admin, reset).await.unwrap();
    assert_eq!((reset.max_bytes, reset.max_entries, reset.max_upload_sessions), (1 << 40, 0, 100));
    bob.create_folder("/folder-4").await.unwrap();
    let mut admin_api = admin.admin().unwrap();
    let shown = admin_api.get_quota(pb::GetQuotaRequest { username: "bob".into() }).await.unwrap().into_inner();
    assert_eq!(shown.quota.unwrap().used_entries, 8);
    let nobody = admin_api.get_quota(pb::GetQuotaRequest { username: "nobody".into() }).await.unwrap_err();
    assert_eq!(nobody.code(), tonic::Code::NotFound);

    // Accepting an offered file counts against the recipient's quota, and
    // the offer waits until there is room.
    let tight = pb::SetQuotaRequest { username: "bob".into(), max_bytes: Some(3000), ..Default::default() };
    set_quota(&admin, tight).await.unwrap();
    let offer =
        pb::TransferOwnershipRequest { path: "/carols.bin".into(), new_owner: "bob".into(), ..Default::default() };
    assert!(carol.files().unwrap().transfer_ownership(offer).await.unwrap().into_inner().pending);
    let accept = || pb::AnswerOwnershipOfferRequest { path: "/carols.bin".into(), accept: true };
    let full = bob.files().unwrap().answer_ownership_offer(accept()).await.unwrap_err();
    assert_eq!(full.code(), tonic::Code::ResourceExhausted, "{full:?}");
    assert_eq!(carol.stat("/carols.bin").await.unwrap().owner, "carol");
    let lift = pb::SetQuotaRequest { username: "bob".into(), max_bytes: Some(0), ..Default::default() };
    set_quota(&admin, lift).await.unwrap();
    bob.files().unwrap().answer_ownership_offer(accept()).await.unwrap();
    assert_eq!(carol.stat("/carols.bin").await.unwrap().owner, "bob");
    server.shutdown().await;
}
