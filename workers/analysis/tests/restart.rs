//! The package queue through failures, with real processes: a manager
//! restarted while its worker downloads, then the worker killed (SIGKILL)
//! while the next one downloads. The package completes once, with every
//! count right, once its owner's next status call brings the key back to
//! the new manager (keys live only in memory).

use std::time::Duration;

use cordvault_test_support::click::ClickServer;
use cordvault_test_support::cluster::{AnalysisWorkerProcess, ManagerProcess};
use cordvault_test_support::dumpus::{Dumpus, KEY_MARKER, discord_key, package_id};
use cordvault_test_support::package_gen::{PackageLayout, PackageSpec, generate, read_tables};
use cordvault_test_support::{Backend, backend_tests, files_under};
use serde_json::json;

backend_tests!(a_job_survives_a_manager_restart_and_a_killed_worker);

async fn downloading(dumpus: &Dumpus, id: &str, key: &str) {
    dumpus.wait_for(id, key, Duration::from_secs(60), |status| status["processingStep"] == json!("DOWNLOADING")).await;
}

async fn a_job_survives_a_manager_restart_and_a_killed_worker(backend: Backend) {
    let click = ClickServer::start().await;
    let env = [
        ("ANALYSIS", "external"),
        ("DISCORD_CLICK_BASE", click.url.as_str()),
        ("PACKAGE_LEASE_SECS", "2"),
        // Everything logged, to look for the key in it.
        ("RUST_LOG", "debug"),
    ];
    let work = tempfile::tempdir().unwrap();
    let (manager_log, worker_log) = (work.path().join("manager.log"), work.path().join("worker.log"));
    let mut manager = ManagerProcess::start_logged(&backend, &env, Some(&manager_log)).await;
    let zip = work.path().join("package.zip");
    let expected = generate(&PackageSpec::small(21, PackageLayout::Current), &zip).unwrap();
    let size = std::fs::metadata(&zip).unwrap().len();
    let key = discord_key(21);
    click.add(&key, zip);
    // Ten seconds a download: time to act in the middle of one.
    click.slow_down(size / 10);

    let dumpus = Dumpus::new(&manager.url);
    let id = package_id(&key);
    assert_eq!(dumpus.submit(&ClickServer::discord_link(&key)).await["packageId"], json!(id));
    let mut worker = AnalysisWorkerProcess::start_logged(&manager, Some(&worker_log), "debug");
    downloading(&dumpus, &id, &key).await;

    // The manager dies mid-download. The worker drops the job and
    // reconnects; the new manager has the job but not its key until the
    // owner's next call, and the dead worker's claim until its lease ends.
    manager.restart().await;
    let dumpus = Dumpus::new(&manager.url);
    dumpus
        .wait_for(&id, &key, Duration::from_secs(60), |status| {
            status["processingStep"] == json!("DOWNLOADING") && click.downloads() >= 2
        })
        .await;

    // The worker is killed mid-download; another takes the job over.
    worker.kill();
    click.slow_down(size * 100);
    let second = AnalysisWorkerProcess::start_logged(&manager, Some(&worker_log), "debug");
    let status = dumpus.wait(&id, &key).await;
    assert_eq!(status["isDataAvailable"], json!(true), "{status}");

    let database = work.path().join("result.sqlite");
    dumpus.fetch_database(&id, &key, &database).await;
    expected.with_package_id(&id).assert_matches(&read_tables(&database));
    // Submitting again finds it processed: it is not analysed twice.
    let before = click.downloads();
    assert_eq!(dumpus.submit(&ClickServer::discord_link(&key)).await["packageId"], json!(id));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(click.downloads(), before);
    assert!(std::fs::read_dir(second.work_dir.path()).unwrap().next().is_none(), "the work folder is emptied");

    // The key is in no log line (at debug level) and no file the manager wrote.
    let mut written = vec![manager_log.clone(), worker_log.clone()];
    written.extend(files_under(manager.data_dir()));
    for file in &written {
        let bytes = std::fs::read(file).unwrap_or_default();
        let marker = KEY_MARKER.as_bytes();
        assert!(!bytes.windows(marker.len()).any(|window| window == marker), "the key is in {}", file.display());
    }
    let logged = std::fs::metadata(&manager_log).unwrap().len() + std::fs::metadata(&worker_log).unwrap().len();
    assert!(logged > 10_000, "debug logs were written: {logged} bytes");
}
