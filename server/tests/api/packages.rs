//! Discord data packages through dumpus-api's REST routes, as its web
//! client calls them: submit a link, poll the status, fetch the sealed
//! result by the URL `/blob` gives and open it with the key, delete.

use std::time::Duration;

use cordvault_client::ErrorCode;
use cordvault_client::proto as pb;
use cordvault_core::package::PackageKey;
use cordvault_test_support::click::ClickServer;
use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};
use cordvault_test_support::dumpus::{Dumpus, KEY_MARKER, discord_key, package_id};
use cordvault_test_support::package_gen::{PackageLayout, PackageSpec, generate, read_tables};
use cordvault_test_support::{Backend, TestServer, backend_tests, files_under};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(
    a_linked_package_is_analysed_and_opens_only_with_its_key,
    bad_links_and_bad_packages_get_their_codes,
    the_grpc_service_submits_follows_and_fetches,
    the_queue_reports_positions_in_both_lanes,
    deleting_a_running_package_leaves_nothing,
    an_allowed_link_cannot_lead_into_a_private_network,
    the_demo_package_needs_no_key,
    discord_users_and_widgets_are_looked_up_and_cached,
    submissions_and_discord_lookups_are_rate_limited_per_address,
);

async fn a_linked_package_is_analysed_and_opens_only_with_its_key(backend: Backend) {
    let click = ClickServer::start().await;
    let url = click.url.clone();
    let server = TestServer::start_with(backend, move |config| config.packages.click_base = url).await;
    let dumpus = Dumpus::new(&server.url);
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("package.zip");
    let expected = generate(&PackageSpec::small(11, PackageLayout::Current), &zip).unwrap();
    let key = discord_key(1);
    click.add(&key, zip);

    let submitted = dumpus.submit(&ClickServer::discord_link(&key)).await;
    let id = package_id(&key);
    assert_eq!(submitted, json!({ "isAccepted": true, "packageId": id, "errorMessageCode": null }));
    let status = dumpus.wait(&id, &key).await;
    assert_eq!(status["isDataAvailable"], json!(true), "{status}");
    assert_eq!(status["processingStep"], json!("PROCESSED"));
    assert_eq!(status["isProcessing"], json!(false));
    assert_eq!(
        status["processingQueuePosition"],
        json!({ "user": 0, "total": 0, "userWhenStarted": 0, "totalWhenStarted": 0 })
    );

    // The result, by the URL /blob hands out (no key in it), opened as the
    // web client opens it.
    let blob: Value = dumpus.get(&format!("/process/{id}/blob"), &key).await.json().await.unwrap();
    assert_eq!(blob["ttl"], json!(300));
    let database_path = work.path().join("result.sqlite");
    dumpus.fetch_database(&id, &key, &database_path).await;
    expected.with_package_id(&id).assert_matches(&read_tables(&database_path));
    let sealed = reqwest::get(blob["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    // /data with the key gives the same bytes; a forged ticket gives nothing.
    assert_eq!(dumpus.get(&format!("/process/{id}/data"), &key).await.bytes().await.unwrap(), sealed);
    let forged =
        reqwest::get(format!("{}/process/{id}/data?ticket=t1.0.0.99999999999999.{}", server.url, "0".repeat(64)))
            .await
            .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // A wrong key, a malformed header and none, on every route.
    let wrong = discord_key(2);
    let routes = [
        ("GET", format!("/process/{id}/status")),
        ("GET", format!("/process/{id}/blob")),
        ("GET", format!("/process/{id}/data")),
        ("DELETE", format!("/process/{id}")),
    ];
    for (method, path) in &routes {
        for authorization in
            [format!("Bearer {wrong}"), "Bearer".to_owned(), "garbage".to_owned(), format!("Bearer {key} extra")]
        {
            let request = dumpus
                .http
                .request(method.parse().unwrap(), format!("{}{path}", server.url))
                .header("authorization", authorization.clone());
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} with {authorization:.20}");
        }
        let response =
            dumpus.http.request(method.parse().unwrap(), format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} without a key");
    }
    let unauthorized: Value = dumpus.get(&format!("/process/{id}/status"), &wrong).await.json().await.unwrap();
    assert_eq!(unauthorized["errorMessageCode"], json!("UNAUTHORIZED"));

    // Submitting again finds the processed package; nothing is downloaded again.
    let downloads = click.downloads();
    assert_eq!(dumpus.submit(&ClickServer::discord_link(&key)).await["packageId"], json!(id));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(click.downloads(), downloads);

    // The key is nowhere the server wrote: database, store, work folders.
    let files = files_under(server.data_dir());
    let sqlite_file = files.iter().any(|file| file.to_string_lossy().ends_with(".sqlite"));
    assert!(sqlite_file || server.config.database_url.is_some(), "the SQLite database is among the files read");
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        let marker = KEY_MARKER.as_bytes();
        assert!(!bytes.windows(marker.len()).any(|window| window == marker), "the key is in {}", file.display());
    }
    assert!(files_under(&server.data_dir().join("analysis")).is_empty(), "the work folder is emptied");

    let deleted: Value = dumpus
        .http
        .delete(format!("{}/process/{id}", server.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted, json!({ "isDeleted": true, "errorMessageCode": null }));
    assert_eq!(dumpus.status(&id, &key).await["errorMessageCode"], json!("UNKNOWN_PACKAGE_ID"));
    assert_eq!(dumpus.get(&format!("/process/{id}/blob"), &key).await.status(), StatusCode::NOT_FOUND);
    let again: Value = dumpus
        .http
        .delete(format!("{}/process/{id}", server.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again, json!({ "isDeleted": false, "errorMessageCode": "UNKNOWN_PACKAGE_ID" }));
    server.shutdown().await;
}

async fn bad_links_and_bad_packages_get_their_codes(backend: Backend) {
    let click = ClickServer::start().await;
    let url = click.url.clone();
    let server = TestServer::start_with(backend, move |config| config.packages.click_base = url).await;
    let dumpus = Dumpus::new(&server.url);
    let work = tempfile::tempdir().unwrap();

    // Links dumpus does not take: refused at once, HTTP 200 as the original.
    for link in ["https://example.com/package.zip", "https://click.discord.com/ls/click?upn=short", ""] {
        let refused = dumpus.submit(link).await;
        assert_eq!(
            refused,
            json!({ "isAccepted": false, "packageId": null, "errorMessageCode": "INVALID_LINK" }),
            "{link}"
        );
    }
    // A body without the field, and no JSON at all: 400, not the original's 500.
    for body in ["{}", "not json"] {
        let response = dumpus.http.post(format!("{}/process", server.url)).body(body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    }

    // An expired link, a page that is no zip, a package without account data.
    let expired_key = discord_key(10);
    let zip = work.path().join("expired.zip");
    generate(&PackageSpec::small(1, PackageLayout::Current), &zip).unwrap();
    click.add(&expired_key, zip);
    click.expire(&expired_key);
    let not_zip_key = discord_key(11);
    let not_zip = work.path().join("not.zip");
    std::fs::write(&not_zip, b"<html>Too many requests</html>").unwrap();
    click.add(&not_zip_key, not_zip);
    let no_account_key = discord_key(12);
    let no_account = work.path().join("no-account.zip");
    {
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&no_account).unwrap());
        writer.start_file("Messages/index.json", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut writer, b"{}").unwrap();
        writer.finish().unwrap();
    }
    click.add(&no_account_key, no_account);
    for (key, code) in
        [(&expired_key, "EXPIRED_LINK"), (&not_zip_key, "INVALID_PACKAGE"), (&no_account_key, "MISSING_USER_DATA")]
    {
        let id = dumpus.submit(&ClickServer::discord_link(key)).await["packageId"].as_str().unwrap().to_owned();
        let status = dumpus.wait(&id, key).await;
        assert_eq!(status["isErrored"], json!(true), "{code}: {status}");
        assert_eq!(status["errorMessageCode"], json!(code), "{status}");
        assert_eq!(dumpus.get(&format!("/process/{id}/blob"), key).await.status(), StatusCode::NOT_FOUND);
    }
    // An errored package is queued again when submitted again.
    click.add(&expired_key, work.path().join("expired.zip"));
    let id = dumpus.submit(&ClickServer::discord_link(&expired_key)).await["packageId"].as_str().unwrap().to_owned();
    assert_eq!(dumpus.wait(&id, &expired_key).await["isDataAvailable"], json!(true));
    assert!(files_under(&server.data_dir().join("analysis")).is_empty(), "the work folder is emptied");
    server.shutdown().await;
}

/// PackageService: the same packages over gRPC, the result opened by the
/// SDK with the key; a wrong key is refused on every call.
async fn the_grpc_service_submits_follows_and_fetches(backend: Backend) {
    let click = ClickServer::start().await;
    let url = click.url.clone();
    let server = TestServer::start_with(backend, move |config| config.packages.click_base = url).await;
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("package.zip");
    let expected = generate(&PackageSpec::small(31, PackageLayout::Legacy), &zip).unwrap();
    let key = discord_key(31);
    click.add(&key, zip);
    let client = cordvault_client::Client::connect(&server.url).await.unwrap();

    let bad = client.submit_package("https://example.com/x.zip").await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidArgument, "{bad}");
    let (id, queued) = client.submit_package(&ClickServer::discord_link(&key)).await.unwrap();
    assert!(queued);
    assert_eq!(id, package_id(&key));
    let opened = PackageKey::parse(&key).unwrap();
    let status = loop {
        let status = client.package_status(&opened).await.unwrap();
        if status.step() == pb::PackageStep::Processed || status.errored {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!status.errored, "{status:?}");
    let result = client.fetch_package(&opened).await.unwrap();
    let mut database = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&result.gzipped_database[..]), &mut database).unwrap();
    let database_path = work.path().join("result.sqlite");
    std::fs::write(&database_path, database).unwrap();
    expected.with_package_id(&id).assert_matches(&read_tables(&database_path));

    // Another key for this id opens nothing.
    let mut packages = client.packages();
    let wrong = discord_key(32);
    let status =
        packages.get_package_status(pb::GetPackageStatusRequest { package_id: id.clone(), key: wrong.clone() }).await;
    assert_eq!(status.unwrap_err().code(), tonic::Code::PermissionDenied);
    let fetch = packages
        .fetch_package_result(pb::FetchPackageResultRequest { package_id: id.clone(), key: wrong.clone() })
        .await;
    assert_eq!(fetch.err().map(|status| status.code()), Some(tonic::Code::PermissionDenied));
    let delete = packages.delete_package(pb::DeletePackageRequest { package_id: id.clone(), key: wrong }).await;
    assert_eq!(delete.unwrap_err().code(), tonic::Code::PermissionDenied);
    assert!(client.delete_package(&opened).await.unwrap());
    let gone = client.package_status(&opened).await.unwrap_err();
    assert_eq!(gone.code, ErrorCode::NotFound, "{gone}");
    server.shutdown().await;
}

/// With no analysis worker, packages wait: positions as the original
/// reports them, the premium lane first, and packages that leave the
/// queue (deleted) no longer counted ahead of anyone.
async fn the_queue_reports_positions_in_both_lanes(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.in_process_analysis = false).await;
    let dumpus = Dumpus::new(&server.url);
    let keys: Vec<String> = (40..43).map(discord_key).collect();
    for key in &keys {
        assert_eq!(dumpus.submit(&ClickServer::discord_link(key)).await["isAccepted"], json!(true));
    }
    let ids: Vec<String> = keys.iter().map(|key| package_id(key)).collect();
    for (n, (id, key)) in ids.iter().zip(&keys).enumerate() {
        let status = dumpus.status(id, key).await;
        assert_eq!(status["processingStep"], json!("LOCKED"));
        assert_eq!(status["isProcessing"], json!(true));
        let position = &status["processingQueuePosition"];
        assert_eq!(position["standardQueueUser"], json!(n), "{status}");
        assert_eq!(position["standardQueueTotal"], json!(3));
        assert_eq!(position["standardWhenJoined"], json!(n));
        assert_eq!(position["premiumQueueTotal"], json!(0));
        assert_eq!(position["premiumQueueUser"], Value::Null);
    }

    // An administrator moves the last one to the premium lane.
    let admin = server.admin().await;
    let alice = server.user("alice").await;
    let premium = pb::SetPackagePremiumRequest { package_id: ids[2].clone(), premium: true };
    let refused = alice.admin().unwrap().set_package_premium(premium.clone()).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    admin.admin().unwrap().set_package_premium(premium).await.unwrap();
    let status = dumpus.status(&ids[2], &keys[2]).await;
    assert_eq!(status["isUpgraded"], json!(true));
    assert_eq!(status["processingQueuePosition"]["premiumQueueUser"], json!(0), "{status}");
    assert_eq!(status["processingQueuePosition"]["premiumQueueTotal"], json!(1));
    assert_eq!(status["processingQueuePosition"]["standardQueueUser"], Value::Null);
    let second = dumpus.status(&ids[1], &keys[1]).await;
    assert_eq!(second["processingQueuePosition"]["standardQueueTotal"], json!(2));

    // The first leaves the queue: the second moves up.
    dumpus.http.delete(format!("{}/process/{}", server.url, ids[0])).bearer_auth(&keys[0]).send().await.unwrap();
    let second = dumpus.status(&ids[1], &keys[1]).await;
    assert_eq!(second["processingQueuePosition"]["standardQueueUser"], json!(0), "{second}");
    // A new package joins behind everyone still queued.
    let late = discord_key(49);
    dumpus.submit(&ClickServer::discord_link(&late)).await;
    let status = dumpus.status(&package_id(&late), &late).await;
    assert_eq!(status["processingQueuePosition"]["standardQueueUser"], json!(2), "{status}");
    assert_eq!(status["processingQueuePosition"]["standardWhenJoined"], json!(1));
    assert_eq!(status["processingQueuePosition"]["premiumWhenJoined"], json!(1));
    server.shutdown().await;
}

/// Deleting a package while it downloads stops the job and leaves nothing:
/// no status, no result, no file in the work folder.
async fn deleting_a_running_package_leaves_nothing(backend: Backend) {
    let click = ClickServer::start().await;
    let url = click.url.clone();
    let server = TestServer::start_with(backend, move |config| config.packages.click_base = url).await;
    let dumpus = Dumpus::new(&server.url);
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("package.zip");
    generate(&PackageSpec::small(51, PackageLayout::Current), &zip).unwrap();
    let size = std::fs::metadata(&zip).unwrap().len();
    let key = discord_key(51);
    click.add(&key, zip);
    click.slow_down(size / 20);
    let id = dumpus.submit(&ClickServer::discord_link(&key)).await["packageId"].as_str().unwrap().to_owned();
    dumpus
        .wait_for(&id, &key, Duration::from_secs(30), |status| status["processingStep"] == json!("DOWNLOADING"))
        .await;
    let work_dir = server.data_dir().join("analysis");
    // The step is reported just before the zip's file is created.
    for _ in 0..50 {
        if !files_under(&work_dir).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!files_under(&work_dir).is_empty(), "the download is under way in the work folder");

    let deleted: Value = dumpus
        .http
        .delete(format!("{}/process/{id}", server.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["isDeleted"], json!(true));
    for _ in 0..50 {
        if files_under(&work_dir).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(files_under(&work_dir).is_empty(), "the job's files are gone");
    assert_eq!(dumpus.status(&id, &key).await["errorMessageCode"], json!("UNKNOWN_PACKAGE_ID"));
    assert_eq!(dumpus.get(&format!("/process/{id}/data"), &key).await.status(), StatusCode::NOT_FOUND);
    // Long after the download would have ended, nothing came back.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(dumpus.status(&id, &key).await["errorMessageCode"], json!("UNKNOWN_PACKAGE_ID"));
    server.shutdown().await;
}

/// An allow-listed link is fetched, but never redirected into another
/// host's private network (here the cloud metadata address).
async fn an_allowed_link_cannot_lead_into_a_private_network(backend: Backend) {
    let click = ClickServer::start().await;
    let allow = vec![format!("{}/", click.url)];
    let server = TestServer::start_with(backend, move |config| config.packages.allowlist = allow).await;
    let dumpus = Dumpus::new(&server.url);
    let link = click.link_to_private();
    let submitted = dumpus.submit(&link).await;
    assert_eq!(submitted["isAccepted"], json!(true), "{submitted}");
    let id = submitted["packageId"].as_str().unwrap().to_owned();
    // The key of an allow-listed link: the base64 of its path, as the original.
    let key = "dG8tcHJpdmF0ZQ==";
    assert_eq!(id, package_id(key));
    let status = dumpus.wait(&id, key).await;
    assert_eq!(status["errorMessageCode"], json!("INVALID_LINK"), "{status}");
    server.shutdown().await;
}

/// The demo package: no key, not encrypted (`iv: null`), a database of
/// made-up statistics in the dumpus schema.
async fn the_demo_package_needs_no_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let http = reqwest::Client::new();
    let blob: Value = http.get(format!("{}/process/demo/blob", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(blob["iv"], Value::Null);
    let gzipped = reqwest::get(blob["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    let mut database = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut database).unwrap();
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("demo.sqlite");
    std::fs::write(&path, database).unwrap();
    let tables = read_tables(&path);
    assert_eq!(tables["dm_channels_data"].len(), 100);
    assert_eq!(tables["guilds"].len(), 100);
    assert_eq!(tables["sessions"].len(), 10_000);
    assert!(tables["payments"].is_empty());
    let events: u64 = tables["activity"].iter().map(|row| row[3].as_u64().unwrap()).sum();
    assert!(events >= 5000, "{events}");
    assert_eq!(tables["package_data"][0][3], json!("wumpus"));
    // The same again: made once.
    let again = reqwest::get(blob["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(again, gzipped);

    // dumpus.app calls from its own origin with the key in Authorization:
    // the preflight must name that header (a `*` does not cover it).
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/process/{}/status", server.url, "0".repeat(32)))
        .header("origin", "https://dumpus.app")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed.split(',').any(|name| name.trim() == "authorization"), "{allowed}");
    server.shutdown().await;
}

/// Users and guild widgets through the bot (here the Discord emulator),
/// cached for a day; only a package's holder may look users up.
/// A manager whose bot looks users and guilds up on the Discord emulator.
async fn server_with_bot(backend: Backend) -> (TestServer, RunningEmulator) {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await;
    let (tokens, api) = (emulator.emulator.config().tokens.clone(), emulator.url.clone());
    let server = TestServer::start_with(backend, move |config| {
        config.in_process_analysis = false;
        config.packages.discord_tokens = tokens;
        config.packages.discord_api_base = Some(api);
    })
    .await;
    (server, emulator)
}

async fn discord_users_and_widgets_are_looked_up_and_cached(backend: Backend) {
    let (server, emulator) = server_with_bot(backend).await;
    let dumpus = Dumpus::new(&server.url);
    let key = discord_key(71);
    let id = dumpus.submit(&ClickServer::discord_link(&key)).await["packageId"].as_str().unwrap().to_owned();
    let user = |user_id: &str| {
        let path = format!("/process/{id}/user/{user_id}");
        let (dumpus, key) = (&dumpus, key.clone());
        async move { dumpus.get(&path, &key).await }
    };

    let nelly: Value = user("80351110224678912").await.json().await.unwrap();
    let avatar = "https://cdn.discordapp.com/avatars/80351110224678912/a_8342729096ea3675442027381ff50dfe.gif";
    assert_eq!(
        nelly,
        json!({"user_id": "80351110224678912", "display_name": "Nelly", "avatar_url": avatar, "username": "nelly"})
    );
    let legacy: Value = user("53908232506183680").await.json().await.unwrap();
    assert_eq!(legacy["avatar_url"], json!("https://cdn.discordapp.com/embed/avatars/2.png"), "1337 % 5");
    assert_eq!(legacy["display_name"], Value::Null);
    let newbie: Value = user("175928847299117063").await.json().await.unwrap();
    let index = (175_928_847_299_117_063u64 >> 22) % 6;
    assert_eq!(newbie["avatar_url"], json!(format!("https://cdn.discordapp.com/embed/avatars/{index}.png")));
    assert_eq!(user("999999999999999999").await.status(), StatusCode::NOT_FOUND);

    // Cached: asking again costs Discord nothing, until a day has passed.
    let asked = emulator.emulator.requests();
    user("80351110224678912").await.json::<Value>().await.unwrap();
    assert_eq!(emulator.emulator.requests(), asked);
    server.clock().advance(Duration::from_secs(25 * 3600));
    user("80351110224678912").await.json::<Value>().await.unwrap();
    assert_eq!(emulator.emulator.requests(), asked + 1);

    // Only a package's holder looks users up.
    let wrong = discord_key(72);
    assert_eq!(
        dumpus.get(&format!("/process/{id}/user/80351110224678912"), &wrong).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let unknown = discord_key(73);
    let unknown_id = package_id(&unknown);
    let no_package = dumpus.get(&format!("/process/{unknown_id}/user/80351110224678912"), &unknown).await;
    assert_eq!(no_package.status(), StatusCode::UNAUTHORIZED);

    // The same over gRPC.
    let mut packages = cordvault_client::Client::connect(&server.url).await.unwrap().packages();
    let request =
        pb::LookupDiscordUserRequest { package_id: id.clone(), key: key.clone(), user_id: "80351110224678912".into() };
    let found = packages.lookup_discord_user(request).await.unwrap().into_inner();
    assert_eq!(
        (found.username.as_str(), found.display_name.as_str(), found.avatar_url.as_str()),
        ("nelly", "Nelly", avatar)
    );
    let request = pb::LookupDiscordUserRequest {
        package_id: id.clone(),
        key: wrong.clone(),
        user_id: "80351110224678912".into(),
    };
    assert_eq!(packages.lookup_discord_user(request).await.unwrap_err().code(), tonic::Code::PermissionDenied);
    let request = pb::LookupGuildWidgetRequest { guild_id: "197038439483310086".into() };
    assert_eq!(packages.lookup_guild_widget(request).await.unwrap().into_inner().member_count, 61_342);
    let request = pb::LookupGuildWidgetRequest { guild_id: "1".into() };
    assert_eq!(packages.lookup_guild_widget(request).await.unwrap_err().code(), tonic::Code::NotFound);

    let widget: Value =
        reqwest::get(format!("{}/widget/197038439483310086", server.url)).await.unwrap().json().await.unwrap();
    let icon = "https://cdn.discordapp.com/icons/197038439483310086/f64c482b807da4f539cff778d174971c.png";
    assert_eq!(widget, json!({"name": "Discord Testers", "icon_url": icon, "member_count": 61342}));
    assert_eq!(
        reqwest::get(format!("{}/widget/not-a-number", server.url)).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let missing = reqwest::get(format!("{}/widget/123456789012345678", server.url)).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.json::<Value>().await.unwrap(), json!({"error": "guild not found or bot lacks access"}));
    server.shutdown().await;
}

/// Anyone may submit links and look guilds up, so an address gets a burst
/// and then a steady rate: a flood gets 429 with Retry-After (gRPC:
/// RESOURCE_EXHAUSTED), and queues nothing, while cached lookups stay free.
async fn submissions_and_discord_lookups_are_rate_limited_per_address(backend: Backend) {
    let (server, emulator) = server_with_bot(backend).await;
    let dumpus = Dumpus::new(&server.url);
    for seed in 0..10 {
        assert_eq!(
            dumpus.submit(&ClickServer::discord_link(&discord_key(100 + seed))).await["isAccepted"],
            json!(true)
        );
    }
    let flood = discord_key(120);
    let refused = dumpus
        .http
        .post(format!("{}/process", server.url))
        .json(&json!({ "package_link": ClickServer::discord_link(&flood) }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=6).contains(&wait), "{wait}");
    let mut packages = cordvault_client::Client::connect(&server.url).await.unwrap().packages();
    let grpc = packages.submit_package(pb::SubmitPackageRequest { link: ClickServer::discord_link(&flood) }).await;
    assert_eq!(grpc.unwrap_err().code(), tonic::Code::ResourceExhausted);
    // The refused package was not queued.
    assert_eq!(dumpus.status(&package_id(&flood), &flood).await["errorMessageCode"], json!("UNKNOWN_PACKAGE_ID"));
    // After the wait, one more is accepted.
    server.clock().advance(Duration::from_secs(6));
    assert_eq!(dumpus.submit(&ClickServer::discord_link(&flood)).await["isAccepted"], json!(true));

    // Lookups that reach Discord: 30, then refused; a cached one still answers.
    let known = format!("{}/widget/197038439483310086", server.url);
    assert_eq!(reqwest::get(&known).await.unwrap().status(), StatusCode::OK);
    for guild in 1..30u64 {
        let missing = reqwest::get(format!("{}/widget/{}", server.url, 123_456_789_000 + guild)).await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
    let asked = emulator.emulator.requests();
    let refused = reqwest::get(format!("{}/widget/123456789999", server.url)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(emulator.emulator.requests(), asked, "a refused lookup costs Discord nothing");
    assert_eq!(reqwest::get(&known).await.unwrap().status(), StatusCode::OK, "cached");
    server.shutdown().await;
}
