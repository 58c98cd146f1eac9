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
    f14_the_web_ui_cannot_be_framed,
    f16_paths_are_at_most_256_folders_deep,
    f18_downloads_stop_when_tokens_are_revoked,
    f21_the_link_form_stays_on_its_link,
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
    tokio::time::sleep(locked.retry_after.unwrap() + Duration::from_millis(200)).await;
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
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(200)).await;
    assert_eq!(get("correct horse").await.unwrap().status(), StatusCode::OK);
    server.shutdown().await;
}

async fn f4_worker_password_guesses_are_locked_out(backend: Backend) {
    use pb::worker_service_client::WorkerServiceClient;
    let server = TestServer::start(backend).await;
    let connect = |password: String| {
        let url = server.url.clone();
        async move {
            let hello = pb::ConnectRequest {
                message: Some(pb::connect_request::Message::Hello(pb::Hello {
                    kind: pb::WorkerKind::Thumbnail as i32,
                    service_password: password,
                    address: "guesser".into(),
                    capacity: 1,
                })),
            };
            let mut client = WorkerServiceClient::new(cordvault_test_support::channel(&url).await);
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
