//! `media_type::validate_media_type` on any text, and what an accepted type
//! becomes in a multipart part header.

#![no_main]

use cordvault_core::ErrorCode;
use cordvault_core::http_range::Multipart;
use cordvault_core::media_type::{MAX_MEDIA_TYPE_BYTES, validate_media_type};
use libfuzzer_sys::fuzz_target;

/// Error messages travel in HTTP/2 headers: user input in them is cut short.
const MAX_MESSAGE_BYTES: usize = 2048;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let value = match validate_media_type(&input) {
        Ok(value) => value,
        Err(err) => {
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{input:?}");
            assert!(err.message.len() <= MAX_MESSAGE_BYTES, "{input:?}: {} bytes of message", err.message.len());
            return;
        }
    };
    assert!(value.len() <= MAX_MEDIA_TYPE_BYTES, "{input:?} gave {} bytes", value.len());
    assert!(!value.chars().any(char::is_control), "{input:?} gave {value:?}");
    assert!(value.is_ascii(), "{input:?} gave {value:?}");
    assert!(!value.starts_with(' ') && !value.ends_with(' '), "{input:?} gave {value:?}");
    // Only the case of the type and subtype changes.
    assert!(value.eq_ignore_ascii_case(&input), "{input:?} gave {value:?}");
    let essence = &value[..value.find(';').unwrap_or(value.len())];
    assert!(essence.contains('/'), "{input:?} gave {value:?}");
    assert!(!essence.bytes().any(|byte| byte.is_ascii_uppercase()), "{input:?} gave {value:?}");
    assert_eq!(&value[essence.len()..], &input[essence.len()..], "{input:?}: parameters changed");
    // Stable: what is stored validates to itself.
    assert_eq!(validate_media_type(&value).as_ref(), Ok(&value), "{input:?} gave {value:?}");
    // An accepted type goes into part headers as it is, on one line.
    let multipart = Multipart::new("b".to_owned(), &value, std::slice::from_ref(&(0..1)), 1);
    assert_eq!(
        multipart.part_header(0),
        format!("\r\n--b\r\nContent-Type: {value}\r\nContent-Range: bytes 0-0/1\r\n\r\n"),
        "{input:?}"
    );
});
