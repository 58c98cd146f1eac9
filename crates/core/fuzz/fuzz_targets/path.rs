//! `path::TreePath::parse` and `path::normalize_name` on any text.
//!
//! Input: the text (invalid UTF-8 is replaced, as a gRPC string cannot hold
//! it), parsed both as a path and as a single name.

#![no_main]

use cordvault_core::ErrorCode;
use cordvault_core::path::{MAX_NAME_BYTES, MAX_PATH_BYTES, TreePath, normalize_name, validate_name};
use libfuzzer_sys::fuzz_target;

/// Error messages travel in HTTP/2 headers: user input in them is cut short.
const MAX_MESSAGE_BYTES: usize = 2048;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    check_path(&input);
    check_name(&input);
});

fn check_path(input: &str) {
    let path = match TreePath::parse(input) {
        Ok(path) => path,
        Err(err) => {
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{input:?}");
            assert!(err.message.len() <= MAX_MESSAGE_BYTES, "{input:?}: {} bytes of message", err.message.len());
            return;
        }
    };
    let printed = path.to_string();
    assert!(printed.starts_with('/'), "{input:?} printed as {printed:?}");
    assert!(printed.len() <= MAX_PATH_BYTES, "{input:?} printed as {} bytes", printed.len());
    assert_eq!(path.is_root(), printed == "/", "{input:?}");
    // Round trip: the printed form parses to the same path and prints the
    // same again (normalisation is idempotent).
    let again = TreePath::parse(&printed).unwrap_or_else(|err| panic!("{input:?} printed as {printed:?}: {err}"));
    assert_eq!(again, path, "{input:?} printed as {printed:?}");
    assert_eq!(again.to_string(), printed);
    for name in path.names() {
        assert!(validate_name(name).is_ok(), "{input:?}: name {name:?} is kept but not valid");
        assert!(!name.is_empty() && name.len() <= MAX_NAME_BYTES && !name.contains('/'), "{input:?}: {name:?}");
    }
    // Parent and join agree with the names.
    if let Some(last) = path.file_name() {
        assert_eq!(path.parent().join(last).as_ref(), Ok(&path), "{input:?}");
        assert_eq!(path.parent().names(), &path.names()[..path.names().len() - 1]);
    }
}

fn check_name(input: &str) {
    let name = match normalize_name(input) {
        Ok(name) => name,
        Err(err) => {
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{input:?}");
            assert!(err.message.len() <= MAX_MESSAGE_BYTES, "{input:?}: {} bytes of message", err.message.len());
            assert!(validate_name(input).is_err(), "{input:?}: valid as stored but refused from a client");
            return;
        }
    };
    assert!(!name.is_empty() && name.len() <= MAX_NAME_BYTES, "{input:?} normalised to {name:?}");
    assert_eq!(normalize_name(&name).as_ref(), Ok(&name), "{input:?}: normalisation is not idempotent");
    assert!(validate_name(&name).is_ok(), "{input:?} normalised to {name:?}, which does not validate");
    // validate_name accepts exactly the names already in their stored form.
    assert_eq!(validate_name(input).is_ok(), name == input, "{input:?} normalised to {name:?}");
    // A valid name is a valid path of one name.
    let path = TreePath::parse(&format!("/{name}")).unwrap_or_else(|err| panic!("{input:?} as /{name:?}: {err}"));
    assert_eq!(path.names(), std::slice::from_ref(&name), "{input:?}");
    assert_eq!(TreePath::root().join(input).as_ref(), Ok(&path), "{input:?}");
}
