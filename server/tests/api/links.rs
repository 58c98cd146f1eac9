//! Share links: CreateLink / ListLinks / RevokeLink and the `/s/{id}` pages.

use std::time::Duration;

use cordvault_client::proto::{self as pb, ShareLevel};
use cordvault_client::{Client, ConflictPolicy, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

backend_tests!(
    file_link_serves_ranges_until_revoked,
    links_die_by_expiry_limit_change_and_deletion,
    password_links_reveal_nothing_without_the_password,
    folder_links_list_files_and_zip_them,
    who_may_create_list_and_revoke,
);

const DISCORD: &str = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)";

async fn put(client: &Client, path: &str, len: usize, seed: u64) -> bytes::Bytes {
    let data = random_bytes(len, seed);
    client.upload_bytes(data.clone(), path, &UploadOptions::default()).await.unwrap();
    data
}

async fn create(client: &Client, request: pb::CreateLinkRequest) -> Result<pb::Link, tonic::Status> {
    let response = client.links().unwrap().create_link(request).await?;
    Ok(response.into_inner().link.expect("a created link"))
}

async fn link_to(client: &Client, path: &str) -> pb::Link {
    create(client, pb::CreateLinkRequest { path: path.into(), ..Default::default() }).await.unwrap()
}

async fn list(client: &Client, all: bool) -> Result<Vec<pb::Link>, tonic::Status> {
    Ok(client.links().unwrap().list_links(pb::ListLinksRequest { all }).await?.into_inner().links)
}

async fn listed(client: &Client, id: &str) -> pb::Link {
    list(client, false).await.unwrap().into_iter().find(|link| link.id == id).expect("the link is listed")
}

async fn revoke(client: &Client, id: &str) -> Result<(), tonic::Status> {
    client.links().unwrap().revoke_link(pb::RevokeLinkRequest { id: id.into() }).await.map(|_| ())
}

/// Plain HTTP as a browser or curl would, following no redirects.
struct Http {
    client: reqwest::Client,
    base: String,
}

/// What a response said: status, headers, body.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Http {
    fn new(server: &TestServer) -> Http {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Http { client, base: server.url.clone() }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the server answers");
        let (status, headers) = (response.status(), response.headers().clone());
        Answer { status, headers, body: response.bytes().await.expect("a body") }
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    async fn head(&self, path: &str) -> Answer {
        self.send(self.client.head(format!("{}{path}", self.base))).await
    }

    async fn post_form(&self, path: &str, form: &str) -> Answer {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
        self.send(request).await
    }
}

async fn file_link_serves_ranges_until_revoked(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let http = Http::new(&server);
    alice.create_folder("/alice").await.unwrap();
    let data = put(&alice, "/alice/report <v2>.bin", 3 * 1024 * 1024 + 17, 1).await;
    let link = link_to(&alice, "/alice/report <v2>.bin").await;
    assert_eq!(link.url_path, format!("/s/{}", link.id));
    assert!(link.alive && !link.is_folder && !link.has_password);
    assert_eq!(link.path, "/alice/report <v2>.bin");

    let whole = http.get(&link.url_path, &[]).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.body, data);
    let range = http.get(&link.url_path, &[("range", "bytes=1048570-1048585")]).await;
    assert_eq!(range.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(range.body, data.slice(1_048_570..1_048_586));
    assert_eq!(range.headers["content-range"], format!("bytes 1048570-1048585/{}", data.len()));
    let head = http.head(&link.url_path).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers["content-length"], data.len().to_string());

    // Chat apps get a preview: the name (escaped) and a human size.
    let preview = http.get(&link.url_path, &[("user-agent", DISCORD)]).await;
    assert_eq!(preview.status, StatusCode::OK);
    let html = preview.text();
    assert!(html.contains("<meta property=\"og:title\" content=\"report &lt;v2&gt;.bin\">"), "{html}");
    assert!(html.contains("<meta property=\"og:description\" content=\"3.0 MiB\">"), "{html}");
    assert!(!html.contains("<v2>"), "names are escaped: {html}");

    // Moving the file keeps the link; the listing shows where it is now.
    alice.rename("/alice/report <v2>.bin", "final.bin", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(http.get(&link.url_path, &[]).await.body, data);
    assert_eq!(listed(&alice, &link.id).await.path, "/alice/final.bin");

    revoke(&alice, &link.id).await.unwrap();
    let revoked = http.get(&link.url_path, &[]).await;
    assert_eq!(revoked.status, StatusCode::NOT_FOUND);
    assert!(!revoked.text().contains("final.bin"));
    assert_eq!(http.get("/s/0123456789abcdef0123456789abcdef", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(http.get("/s/not-a-link", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(revoke(&alice, &link.id).await.unwrap_err().code(), tonic::Code::NotFound);
    server.shutdown().await;
}

async fn links_die_by_expiry_limit_change_and_deletion(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let http = Http::new(&server);
    alice.create_folder("/alice").await.unwrap();
    let data = put(&alice, "/alice/a.bin", 50_000, 2).await;

    // Expiry.
    let past =
        create(&alice, pb::CreateLinkRequest { path: "/alice/a.bin".into(), expires_at_ms: 1, ..Default::default() });
    assert_eq!(past.await.unwrap_err().code(), tonic::Code::InvalidArgument);
    let expires_at_ms = server.clock().now_ms() + 60_000;
    let expiring = pb::CreateLinkRequest { path: "/alice/a.bin".into(), expires_at_ms, ..Default::default() };
    let expiring = create(&alice, expiring).await.unwrap();
    assert_eq!(expiring.expires_at_ms, expires_at_ms);
    assert_eq!(http.get(&expiring.url_path, &[]).await.status, StatusCode::OK);
    server.clock().advance(Duration::from_secs(61));
    assert_eq!(http.get(&expiring.url_path, &[]).await.status, StatusCode::GONE);
    let listed_expired = listed(&alice, &expiring.id).await;
    assert!(!listed_expired.alive && listed_expired.path.is_empty());

    // Download limit: HEAD is free; every GET that sends bytes counts, a
    // range as much as the whole file (else `bytes=1-` would be unlimited).
    let limited = pb::CreateLinkRequest { path: "/alice/a.bin".into(), max_downloads: 2, ..Default::default() };
    let limited = create(&alice, limited).await.unwrap();
    assert_eq!(http.head(&limited.url_path).await.status, StatusCode::OK);
    let resumed = http.get(&limited.url_path, &[("range", "bytes=100-199")]).await;
    assert_eq!((resumed.status, resumed.body.clone()), (StatusCode::PARTIAL_CONTENT, data.slice(100..200)));
    assert_eq!(listed(&alice, &limited.id).await.downloads, 1);
    assert_eq!(http.get(&limited.url_path, &[]).await.body, data);
    assert_eq!(listed(&alice, &limited.id).await.downloads, 2);
    assert_eq!(http.get(&limited.url_path, &[]).await.status, StatusCode::GONE);
    assert_eq!(http.head(&limited.url_path).await.status, StatusCode::GONE);
    assert!(!listed(&alice, &limited.id).await.alive);

    // A content change kills a file link, even for the same name.
    let changed = link_to(&alice, "/alice/a.bin").await;
    let overwrite = UploadOptions { conflict: ConflictPolicy::Overwrite, ..Default::default() };
    alice.upload_bytes(random_bytes(1000, 3), "/alice/a.bin", &overwrite).await.unwrap();
    let answer = http.get(&changed.url_path, &[]).await;
    assert_eq!(answer.status, StatusCode::GONE);
    assert!(!answer.text().contains("a.bin"));

    // Deleting (to the trash) kills it too, and so does deleting a folder above it.
    let deleted = link_to(&alice, "/alice/a.bin").await;
    assert_eq!(http.get(&deleted.url_path, &[]).await.status, StatusCode::OK);
    alice.delete("/alice/a.bin", false).await.unwrap();
    assert_eq!(http.get(&deleted.url_path, &[]).await.status, StatusCode::GONE);
    alice.create_folder("/alice/deep").await.unwrap();
    put(&alice, "/alice/deep/b.bin", 10, 4).await;
    let inner = link_to(&alice, "/alice/deep/b.bin").await;
    alice.delete("/alice/deep", true).await.unwrap();
    assert_eq!(http.get(&inner.url_path, &[]).await.status, StatusCode::GONE);
    assert!(!listed(&alice, &inner.id).await.alive);
    // Restoring from the trash does not bring a dead link back.
    let mut files = alice.files().unwrap();
    for item in files.list_trash(pb::ListTrashRequest {}).await.unwrap().into_inner().items {
        files.restore(pb::RestoreRequest { trash_id: item.trash_id }).await.unwrap();
    }
    assert!(alice.stat("/alice/deep/b.bin").await.is_ok());
    assert_eq!(http.get(&inner.url_path, &[]).await.status, StatusCode::GONE);
    assert_eq!(http.get(&deleted.url_path, &[]).await.status, StatusCode::GONE);
    server.shutdown().await;
}

async fn password_links_reveal_nothing_without_the_password(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let http = Http::new(&server);
    alice.create_folder("/alice").await.unwrap();
    let data = put(&alice, "/alice/secret-plans.pdf", 20_000, 5).await;
    let request = pb::CreateLinkRequest {
        path: "/alice/secret-plans.pdf".into(),
        password: "open sesame".into(),
        ..Default::default()
    };
    let link = create(&alice, request).await.unwrap();
    assert!(link.has_password);
    let leaks = |answer: &Answer| {
        let text = answer.text();
        text.contains("secret-plans") || text.contains("19.5 KiB") || text.contains("20000")
    };

    // No password: the form, naming nothing, for browsers and crawlers alike.
    let form = http.get(&link.url_path, &[]).await;
    assert_eq!(form.status, StatusCode::UNAUTHORIZED);
    assert!(form.text().contains("<form method=\"post\""), "{}", form.text());
    assert!(!leaks(&form));
    let crawler = http.get(&link.url_path, &[("user-agent", DISCORD)]).await;
    assert!(crawler.text().contains("og:title\" content=\"Password-protected link\""), "{}", crawler.text());
    assert!(!leaks(&crawler));
    assert_eq!(http.get(&format!("{}?x=1", link.url_path), &[]).await.status, StatusCode::UNAUTHORIZED);

    // The right password, as a header or through the form and its cookie.
    let with_header = http.get(&link.url_path, &[("x-link-password", "open sesame")]).await;
    assert_eq!((with_header.status, with_header.body), (StatusCode::OK, data.clone()));
    let unlocked = http.post_form(&link.url_path, "password=open+sesame").await;
    assert_eq!(unlocked.status, StatusCode::SEE_OTHER);
    assert_eq!(unlocked.headers["location"], link.url_path.as_str());
    let set_cookie = unlocked.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains(&format!("Path={}", link.url_path)), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let with_cookie = http.get(&link.url_path, &[("cookie", &cookie)]).await;
    assert_eq!((with_cookie.status, with_cookie.body), (StatusCode::OK, data.clone()));
    let ranged = http.get(&link.url_path, &[("cookie", &cookie), ("range", "bytes=-5")]).await;
    assert_eq!(ranged.body, data.slice(data.len() - 5..));
    // The cookie is good for this link only.
    let other = create(&alice, pb::CreateLinkRequest { password: "open sesame".into(), ..request_for(&link) }).await;
    let other = other.unwrap();
    assert_eq!(http.get(&other.url_path, &[("cookie", &cookie)]).await.status, StatusCode::UNAUTHORIZED);
    let forged = http.get(&link.url_path, &[("cookie", "cordvault_link=00ff")]).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    // A wrong password is refused the same way whether the file exists or not.
    let wrong_header_live = http.get(&link.url_path, &[("x-link-password", "guess")]).await;
    let wrong_form_live = http.post_form(&link.url_path, "password=guess").await;
    assert_eq!(wrong_header_live.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong_form_live.status, StatusCode::FORBIDDEN);
    assert!(!leaks(&wrong_header_live) && !leaks(&wrong_form_live));
    alice.delete("/alice/secret-plans.pdf", false).await.unwrap();
    let wrong_header_dead = http.get(&link.url_path, &[("x-link-password", "guess")]).await;
    let wrong_form_dead = http.post_form(&link.url_path, "password=guess").await;
    assert_eq!(
        (wrong_header_dead.status, &wrong_header_dead.body),
        (wrong_header_live.status, &wrong_header_live.body)
    );
    assert_eq!((wrong_form_dead.status, &wrong_form_dead.body), (wrong_form_live.status, &wrong_form_live.body));
    let no_password_dead = http.get(&link.url_path, &[]).await;
    assert_eq!((no_password_dead.status, &no_password_dead.body), (form.status, &form.body));
    // Only the right password learns that the link is dead.
    let right_dead = http.get(&link.url_path, &[("x-link-password", "open sesame")]).await;
    assert_eq!(right_dead.status, StatusCode::GONE);
    assert!(!leaks(&right_dead));
    server.shutdown().await;
}

/// A request for another link to the same entry as `link`.
fn request_for(link: &pb::Link) -> pb::CreateLinkRequest {
    pb::CreateLinkRequest { path: link.path.clone(), ..Default::default() }
}

async fn folder_links_list_files_and_zip_them(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let http = Http::new(&server);
    alice.create_folder("/alice/photos/2026 & more").await.unwrap();
    let top = put(&alice, "/alice/photos/<img src=x onerror=alert(1)>.jpg", 70_000, 6).await;
    let inner = put(&alice, "/alice/photos/2026 & more/a \"quoted\" name.txt", 1234, 7).await;
    put(&alice, "/alice/photos/empty.txt", 0, 8).await;
    let link = link_to(&alice, "/alice/photos").await;
    assert!(link.is_folder);

    let listing = http.get(&link.url_path, &[]).await;
    assert_eq!(listing.status, StatusCode::OK);
    let html = listing.text();
    assert!(!html.contains("<img"), "names are escaped: {html}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;.jpg"), "{html}");
    assert!(html.contains("2026 &amp; more/a &quot;quoted&quot; name.txt"), "{html}");
    assert!(html.contains(&format!("href=\"{}/zip\"", link.url_path)), "{html}");
    let href = format!("href=\"{}/file?path=2026%20%26%20more/a%20%22quoted%22%20name.txt\"", link.url_path);
    assert!(html.contains(&href), "{html}");

    // Every file has its own address, ranges included.
    let file =
        http.get(&format!("{}/file?path=2026%20%26%20more/a%20%22quoted%22%20name.txt", link.url_path), &[]).await;
    assert_eq!((file.status, file.body), (StatusCode::OK, inner.clone()));
    let path = format!("{}/file?path=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.jpg", link.url_path);
    let ranged = http.get(&path, &[("range", "bytes=65536-65545")]).await;
    assert_eq!((ranged.status, ranged.body), (StatusCode::PARTIAL_CONTENT, top.slice(65_536..65_546)));
    for missing in ["nope.txt", "../photos/empty.txt", "2026%20%26%20more"] {
        let answer = http.get(&format!("{}/file?path={missing}", link.url_path), &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
    }

    let zip = http.get(&format!("{}/zip", link.url_path), &[]).await;
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.headers["content-type"], "application/zip");
    let zip_path = server.data_dir().join("link.zip");
    std::fs::write(&zip_path, &zip.body).unwrap();
    let check = std::process::Command::new("python3")
        .args([
            "-c",
            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; \
             print('\\n'.join(sorted(i.filename + ' ' + str(i.file_size) for i in z.infolist())))",
        ])
        .arg(&zip_path)
        .output()
        .expect("python3 runs");
    assert!(check.status.success(), "zip check failed: {}", String::from_utf8_lossy(&check.stderr));
    let listed: Vec<String> = String::from_utf8(check.stdout).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(
        listed,
        [
            "2026 & more/ 0".to_owned(),
            "2026 & more/a \"quoted\" name.txt 1234".to_owned(),
            "<img src=x onerror=alert(1)>.jpg 70000".to_owned(),
            "empty.txt 0".to_owned(),
        ]
    );

    let preview = http.get(&link.url_path, &[("user-agent", "facebookexternalhit/1.1")]).await.text();
    assert!(preview.contains("og:title\" content=\"photos\""), "{preview}");
    assert!(preview.contains("og:description\" content=\"Folder, 3 files, 69.6 KiB\""), "{preview}");

    // A limited folder link counts file downloads and zips alike.
    let limited = pb::CreateLinkRequest { path: "/alice/photos".into(), max_downloads: 2, ..Default::default() };
    let limited = create(&alice, limited).await.unwrap();
    assert_eq!(http.get(&limited.url_path, &[]).await.status, StatusCode::OK, "a listing is free");
    assert_eq!(http.get(&format!("{}/file?path=empty.txt", limited.url_path), &[]).await.status, StatusCode::OK);
    assert_eq!(http.get(&format!("{}/zip", limited.url_path), &[]).await.status, StatusCode::OK);
    assert_eq!(http.get(&format!("{}/zip", limited.url_path), &[]).await.status, StatusCode::GONE);
    assert_eq!(http.get(&limited.url_path, &[]).await.status, StatusCode::GONE);

    // A file link has no folder pages.
    let file_link = link_to(&alice, "/alice/photos/empty.txt").await;
    assert_eq!(http.get(&format!("{}/zip", file_link.url_path), &[]).await.status, StatusCode::NOT_FOUND);

    // Content changes inside a folder do not kill a folder link; deleting the folder does.
    let overwrite = UploadOptions { conflict: ConflictPolicy::Overwrite, ..Default::default() };
    alice.upload_bytes(random_bytes(10, 9), "/alice/photos/empty.txt", &overwrite).await.unwrap();
    assert_eq!(http.get(&link.url_path, &[]).await.status, StatusCode::OK);
    alice.delete("/alice/photos", true).await.unwrap();
    assert_eq!(http.get(&link.url_path, &[]).await.status, StatusCode::GONE);
    assert_eq!(http.get(&format!("{}/zip", link.url_path), &[]).await.status, StatusCode::GONE);
    server.shutdown().await;
}

async fn who_may_create_list_and_revoke(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    alice.create_folder("/alice").await.unwrap();
    put(&alice, "/alice/a.txt", 100, 10).await;
    alice.share("/alice", "bob", ShareLevel::Read).await.unwrap();
    alice.share("/alice", "carol", ShareLevel::ReadWrite).await.unwrap();

    let denied = create(&bob, pb::CreateLinkRequest { path: "/alice/a.txt".into(), ..Default::default() }).await;
    assert_eq!(denied.unwrap_err().code(), tonic::Code::PermissionDenied);
    let root = create(&admin, pb::CreateLinkRequest { path: "/".into(), ..Default::default() }).await;
    assert_eq!(root.unwrap_err().code(), tonic::Code::PermissionDenied);
    let missing = create(&alice, pb::CreateLinkRequest { path: "/alice/none".into(), ..Default::default() }).await;
    assert_eq!(missing.unwrap_err().code(), tonic::Code::NotFound);
    let alices = link_to(&alice, "/alice/a.txt").await;
    let carols = link_to(&carol, "/alice").await;
    assert_eq!(carols.created_by, "carol");

    let ids = |links: Vec<pb::Link>| links.into_iter().map(|link| link.id).collect::<Vec<_>>();
    assert_eq!(ids(list(&alice, false).await.unwrap()), [alices.id.as_str()]);
    assert_eq!(ids(list(&carol, false).await.unwrap()), [carols.id.as_str()]);
    assert!(list(&bob, false).await.unwrap().is_empty());
    assert_eq!(list(&bob, true).await.unwrap_err().code(), tonic::Code::PermissionDenied);
    let mut every = ids(list(&admin, true).await.unwrap());
    every.sort();
    let mut expected = vec![alices.id.clone(), carols.id.clone()];
    expected.sort();
    assert_eq!(every, expected);

    assert_eq!(revoke(&bob, &alices.id).await.unwrap_err().code(), tonic::Code::PermissionDenied);
    assert_eq!(revoke(&carol, &alices.id).await.unwrap_err().code(), tonic::Code::PermissionDenied);
    revoke(&admin, &carols.id).await.unwrap();
    revoke(&alice, &alices.id).await.unwrap();
    assert!(list(&admin, true).await.unwrap().is_empty());
    server.shutdown().await;
}
