//! The `cordvault-thumbnail-worker` binary refuses bad configuration with a
//! clear message before it connects anywhere. (Its work with a manager is
//! tested in server/tests/api/thumbnails.rs, which runs this same binary.)

use std::process::Command;

fn worker() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cordvault-thumbnail-worker"));
    command.env_clear().env("MANAGER_ADDRESS", "http://127.0.0.1:9");
    command
}

fn refused(command: &mut Command) -> String {
    let output = command.output().expect("the worker runs");
    assert!(!output.status.success(), "the worker should refuse: {output:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn a_missing_service_password_is_named() {
    let stderr = refused(&mut worker());
    assert!(stderr.contains("--service-password"), "{stderr}");
}

#[test]
fn an_unknown_format_lists_the_known_ones() {
    let stderr = refused(worker().env("SERVICE_PASSWORD", "x").env("THUMBNAIL_FORMAT", "gif"));
    assert!(stderr.contains("gif") && stderr.contains("jpeg") && stderr.contains("webp"), "{stderr}");
}
