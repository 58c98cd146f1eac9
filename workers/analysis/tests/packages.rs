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

/// A zip bomb, both kinds: an entry compressed as only zeros compress, and
/// an entry whose declared size is far beyond the limit. Each is refused
/// from the directory alone, before anything is unpacked.
#[test]
fn zip_bombs_are_refused_before_unpacking() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("ratio.zip");
    {
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file("Account/user.json", options).unwrap();
        writer.write_all(br#"{"id":"1","username":"u"}"#).unwrap();
        writer.start_file("Activity/analytics/events.json", options).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..64 {
            writer.write_all(&zeros).unwrap();
        }
        writer.finish().unwrap();
    }
    let err = analyse(&bomb, "x", &dir.path().join("a.sqlite"), &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "PACKAGE_TOO_LARGE", "{err}");
    assert!(err.to_string().contains("zip bomb"), "{err}");

    // A small package whose directory claims a 4 GiB analytics file.
    let liar = dir.path().join("declared.zip");
    let name = "Activity/analytics/events.json";
    {
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&liar).unwrap());
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        writer.start_file("Account/user.json", options).unwrap();
        writer.write_all(br#"{"id":"1","username":"u"}"#).unwrap();
        writer.start_file(name, options).unwrap();
        writer.write_all(b"{\"event_type\":\"app_opened\"}\n").unwrap();
        writer.finish().unwrap();
    }
    let mut bytes = std::fs::read(&liar).unwrap();
    let headers =
        bytes.windows(4).enumerate().filter(|(_, window)| *window == [0x50, 0x4b, 0x01, 0x02]).map(|(at, _)| at);
    let header =
        headers.into_iter().find(|&at| bytes[at + 46..].starts_with(name.as_bytes())).expect("its directory entry");
    // Compressed and uncompressed sizes sit at offsets 20 and 24 of a
    // central directory header: both claimed, so that only the size is wrong.
    bytes[header + 20..header + 24].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    bytes[header + 24..header + 28].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    std::fs::write(&liar, &bytes).unwrap();
    let limits = Limits { max_unpacked_bytes: 1024 * 1024 * 1024, ..Limits::default() };
    let err = analyse(&liar, "x", &dir.path().join("b.sqlite"), &limits).unwrap_err();
    assert_eq!(err.code(), "PACKAGE_TOO_LARGE", "{err}");
    assert!(err.to_string().contains("unpacks to more than"), "{err}");
}
