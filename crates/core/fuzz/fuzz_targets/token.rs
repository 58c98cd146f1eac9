//! Upload tokens (`token::UploadTokenKey::verify`) with a fixed key.
//!
//! The first input byte chooses the mode:
//! - even: the rest is a token string from a client. It must not open
//!   unless it is, byte for byte, a token the key issued.
//! - odd: issue a token for an upload id and expiry the input chooses; it
//!   verifies until it expires and for that upload only, and changing,
//!   removing or inserting any one byte makes it invalid.

#![no_main]

use std::sync::OnceLock;

use cordvault_core::ErrorCode;
use cordvault_core::token::UploadTokenKey;
use libfuzzer_sys::fuzz_target;

/// An upload id as the server makes them (`random_hex::<16>()`).
const UPLOAD_ID: &str = "00112233445566778899aabbccddeeff";

fn key() -> &'static UploadTokenKey {
    static KEY: OnceLock<UploadTokenKey> = OnceLock::new();
    KEY.get_or_init(|| UploadTokenKey::new(b"cordvault fuzzing upload token key"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 { foreign(rest) } else { issued(rest) }
});

fn foreign(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    // The upload the server has in mind, and the one the token names, so
    // that the fuzzer can get past the id check too.
    let named = token.split('.').nth(1).unwrap_or("");
    for upload_id in [UPLOAD_ID, named] {
        for now in [i64::MIN, 0] {
            let Err(err) = key().verify(&token, upload_id, now) else {
                // Accepted: then it is exactly what the key issues.
                let expiry = token
                    .strip_prefix(&format!("v1.{upload_id}."))
                    .and_then(|rest| rest.split('.').next())
                    .and_then(|expiry| expiry.parse::<i64>().ok());
                let expiry = expiry.unwrap_or_else(|| panic!("{token:?} accepted for {upload_id:?}"));
                assert!(expiry >= now);
                assert_eq!(token, key().sign(upload_id, expiry), "accepted for {upload_id:?} but not as issued");
                continue;
            };
            assert_eq!(err.code, ErrorCode::Unauthenticated, "{token:?}: {err}");
        }
    }
}

fn issued(data: &[u8]) {
    if data.len() < 12 {
        return;
    }
    let (head, upload_id) = data.split_at(12);
    let expiry = i64::from_le_bytes(head[..8].try_into().unwrap());
    let (op, at, value) = (head[8], u16::from_le_bytes([head[9], head[10]]), head[11]);
    let upload_id = String::from_utf8_lossy(upload_id);

    let token = key().sign(&upload_id, expiry);
    assert!(key().verify(&token, &upload_id, expiry).is_ok(), "{token:?} does not verify for {upload_id:?}");
    assert!(key().verify(&token, &upload_id, i64::MIN).is_ok(), "{token:?} does not verify for {upload_id:?}");
    if expiry < i64::MAX {
        let err = key().verify(&token, &upload_id, expiry + 1).expect_err("an expired token verifies");
        assert_eq!(err.code, ErrorCode::Unauthenticated);
    }
    let other = format!("{upload_id}0");
    assert!(key().verify(&token, &other, i64::MIN).is_err(), "{token:?} verifies for {other:?}");
    if let Some((cut, _)) = upload_id.char_indices().next_back() {
        let other = &upload_id[..cut];
        assert!(key().verify(&token, other, i64::MIN).is_err(), "{token:?} verifies for {other:?}");
    }

    // One byte changed, removed or inserted.
    let mut changed = token.clone().into_bytes();
    let at = usize::from(at);
    match op % 3 {
        0 => {
            let at = at % changed.len();
            if changed[at] == value {
                return;
            }
            changed[at] = value;
        }
        1 => {
            changed.remove(at % changed.len());
        }
        _ => changed.insert(at % (changed.len() + 1), value),
    }
    // Not UTF-8: no client could send it.
    let Ok(changed) = String::from_utf8(changed) else {
        return;
    };
    if let Ok(()) = key().verify(&changed, &upload_id, i64::MIN) {
        panic!("{token:?} changed to {changed:?} still verifies for {upload_id:?}");
    }
}
