//! Generated packages, in every layout Discord has shipped, analysed and
//! compared row by row with what the generator knows they hold.

use std::collections::BTreeMap;

use cordvault_analysis_worker::{AnalysisError, Limits, analyse};
use cordvault_test_support::package_gen::{Expected, PackageLayout, PackageSpec, generate, read_tables};
use serde_json::Value;

fn analysed(spec: &PackageSpec) -> (Expected, BTreeMap<String, Vec<Vec<Value>>>, cordvault_analysis_worker::Report) {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("package.zip");
    let package_id = "0123456789abcdef0123456789abcdef";
    let expected = generate(spec, &zip).unwrap().with_package_id(package_id);
    let output = dir.path().join("result.sqlite");
    let report = analyse(&zip, package_id, &output, &Limits::default()).unwrap();
    (expected, read_tables(&output), report)
}

#[test]
fn every_layout_gives_exactly_the_generated_counts() {
    for layout in [PackageLayout::Current, PackageLayout::Legacy, PackageLayout::Translated, PackageLayout::Wrapped] {
        let spec = PackageSpec::small(7, layout);
        let (expected, found, report) = analysed(&spec);
        for table in
            ["activity", "dm_channels_data", "guild_channels_data", "guilds", "payments", "voice_sessions", "sessions"]
        {
            assert!(expected.tables[table].len() >= 3, "{layout:?}: the generator made few {table} rows");
        }
        expected.assert_matches(&found);
        assert_eq!(report.messages, expected.messages, "{layout:?}: messages");
        assert_eq!(report.analytics_events, expected.analytics_events, "{layout:?}: events");
        assert_eq!(report.malformed_lines, expected.malformed_lines, "{layout:?}: malformed lines");
        assert!(expected.malformed_lines > 0 && !report.partial, "{layout:?}");
    }
}

#[test]
fn not_a_zip_and_no_account_data_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.sqlite");
    let not_zip = dir.path().join("not.zip");
    std::fs::write(&not_zip, b"<html>an error page, not a package</html>").unwrap();
    let err = analyse(&not_zip, "x", &output, &Limits::default()).unwrap_err();
    assert!(matches!(err, AnalysisError::InvalidPackage(_)), "{err}");

    let zip = dir.path().join("package.zip");
    generate(&PackageSpec::small(3, PackageLayout::Current), &zip).unwrap();
    let bytes = std::fs::read(&zip).unwrap();
    let truncated = dir.path().join("truncated.zip");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = analyse(&truncated, "x", &dir.path().join("out2.sqlite"), &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "INVALID_PACKAGE", "{err}");
}
