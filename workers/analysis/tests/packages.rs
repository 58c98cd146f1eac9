//! Generated packages, in every layout Discord has shipped, analysed and
//! compared row by row with what the generator knows they hold.

use std::collections::BTreeMap;
use std::path::Path;

use cordvault_analysis_worker::{AnalysisError, Limits, analyse};
use cordvault_test_support::package_gen::{Expected, PackageLayout, PackageSpec, generate};
use serde_json::Value;

/// Every table of a SQLite file, as Python's sqlite3 (an independent
/// reader) returns its rows, sorted as the generator sorts them.
fn tables(database: &Path) -> BTreeMap<String, Vec<Vec<Value>>> {
    let script = r#"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
print(json.dumps({name: [list(row) for row in db.execute(f"SELECT * FROM {name}")] for name in names}))
"#;
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(database).output().unwrap();
    assert!(output.status.success(), "python sqlite3: {}", String::from_utf8_lossy(&output.stderr));
    let mut tables: BTreeMap<String, Vec<Vec<Value>>> = serde_json::from_slice(&output.stdout).unwrap();
    for rows in tables.values_mut() {
        rows.sort_by_key(|row| Value::Array(row.clone()).to_string());
    }
    tables
}

fn analysed(spec: &PackageSpec) -> (Expected, BTreeMap<String, Vec<Vec<Value>>>, cordvault_analysis_worker::Report) {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("package.zip");
    let mut expected = generate(spec, &zip).unwrap();
    let output = dir.path().join("result.sqlite");
    let report = analyse(&zip, "0123456789abcdef0123456789abcdef", &output, &Limits::default()).unwrap();
    expected.tables.get_mut("package_data").unwrap()[0][0] = Value::from("0123456789abcdef0123456789abcdef");
    (expected, tables(&output), report)
}

fn assert_same(expected: &Expected, found: &BTreeMap<String, Vec<Vec<Value>>>) {
    let names: Vec<&String> = found.keys().collect();
    assert_eq!(names, expected.tables.keys().collect::<Vec<_>>(), "the tables");
    for (table, rows) in &expected.tables {
        let found = &found[table];
        for (n, (want, got)) in rows.iter().zip(found).enumerate() {
            assert_eq!(want, got, "{table} row {n}");
        }
        assert_eq!(rows.len(), found.len(), "{table}: rows");
    }
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
        assert_same(&expected, &found);
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
