//! Download tickets (`ticket::TicketKey::verify`) with a fixed key.
//!
//! The first input byte chooses the mode:
//! - even: the rest is a ticket string from a client. It must not open
//!   anything unless it is, byte for byte, the ticket the key issues for
//!   those fields and that purpose, and it fails as UNAUTHENTICATED.
//! - odd: issue a ticket for a holder, expiry and purpose the input chooses;
//!   it verifies for that purpose until it expires and for no other purpose
//!   or path, and changing, removing or inserting any one byte makes it
//!   invalid.

#![no_main]

use std::sync::OnceLock;

use cordvault_core::ErrorCode;
use cordvault_core::ticket::{TicketHolder, TicketKey, TicketPurpose};
use libfuzzer_sys::fuzz_target;

/// A normalised tree path, as the download routes check them.
const PATH: &str = "/photos/2024/beach.jpg";

fn key() -> &'static TicketKey {
    static KEY: OnceLock<TicketKey> = OnceLock::new();
    KEY.get_or_init(|| TicketKey::derive(b"cordvault fuzzing download ticket secret"))
}

/// A key derived from another secret: it accepts none of `key`'s tickets.
fn other_key() -> &'static TicketKey {
    static KEY: OnceLock<TicketKey> = OnceLock::new();
    KEY.get_or_init(|| TicketKey::derive(b"another installation's secret"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 { foreign(rest) } else { issued(rest) }
});

fn foreign(data: &[u8]) {
    let ticket = String::from_utf8_lossy(data);
    for purpose in [TicketPurpose::Download(PATH), TicketPurpose::Zip(PATH), TicketPurpose::Thumbnails] {
        for now in [i64::MIN, 0] {
            let holder = match key().verify(&ticket, purpose, now) {
                Ok(holder) => holder,
                Err(err) => {
                    assert_eq!(err.code, ErrorCode::Unauthenticated, "{ticket:?}: {err}");
                    continue;
                }
            };
            // Accepted: then it is exactly what the key issues.
            let fields: Vec<i64> = ticket
                .strip_prefix("t1.")
                .map(|rest| rest.split('.').take(3).filter_map(|field| field.parse().ok()).collect())
                .unwrap_or_default();
            let [user_id, token_version, expiry] = fields[..] else {
                panic!("{ticket:?} accepted for {purpose:?}");
            };
            assert_eq!(holder, TicketHolder { user_id, token_version }, "{ticket:?}");
            assert!(expiry >= now, "{ticket:?} accepted after it expired");
            assert_eq!(ticket, key().sign(holder, purpose, expiry), "accepted for {purpose:?} but not as issued");
        }
    }
}

fn issued(data: &[u8]) {
    if data.len() < 29 {
        return;
    }
    let (head, path) = data.split_at(29);
    let number = |at: usize| i64::from_le_bytes(head[at..at + 8].try_into().unwrap());
    let (expiry, user_id, token_version) = (number(0), number(8), number(16));
    let (kind, op, at, value) = (head[24], head[25], u16::from_le_bytes([head[26], head[27]]), head[28]);
    let path = String::from_utf8_lossy(path);
    let holder = TicketHolder { user_id, token_version };
    let purpose = match kind % 3 {
        0 => TicketPurpose::Download(&path),
        1 => TicketPurpose::Zip(&path),
        _ => TicketPurpose::Thumbnails,
    };

    let ticket = key().sign(holder, purpose, expiry);
    for now in [expiry, i64::MIN] {
        match key().verify(&ticket, purpose, now) {
            Ok(verified) => assert_eq!(verified, holder, "{ticket:?}"),
            Err(err) => panic!("{ticket:?} does not verify for {purpose:?} at {now}: {err}"),
        }
    }
    if expiry < i64::MAX {
        let err = key().verify(&ticket, purpose, expiry + 1).expect_err("an expired ticket verifies");
        assert_eq!(err.code, ErrorCode::Unauthenticated);
    }
    assert!(other_key().verify(&ticket, purpose, i64::MIN).is_err(), "{ticket:?} verifies under another key");

    // No other purpose, nor the same purpose for another path.
    let longer = format!("{path}0");
    let shorter = path.char_indices().next_back().map(|(cut, _)| &path[..cut]);
    let mut others = vec![
        TicketPurpose::Download(&path),
        TicketPurpose::Zip(&path),
        TicketPurpose::Thumbnails,
        TicketPurpose::Download(""),
        TicketPurpose::Zip(""),
        TicketPurpose::Download(&longer),
        TicketPurpose::Zip(&longer),
    ];
    if let Some(shorter) = shorter {
        others.extend([TicketPurpose::Download(shorter), TicketPurpose::Zip(shorter)]);
    }
    for other in others.into_iter().filter(|other| *other != purpose) {
        let Err(err) = key().verify(&ticket, other, i64::MIN) else {
            panic!("{ticket:?} for {purpose:?} verifies for {other:?}");
        };
        assert_eq!(err.code, ErrorCode::Unauthenticated);
    }

    // One byte changed, removed or inserted.
    let mut changed = ticket.clone().into_bytes();
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
    if let Ok(holder) = key().verify(&changed, purpose, i64::MIN) {
        panic!("{ticket:?} changed to {changed:?} still verifies for {purpose:?} as {holder:?}");
    }
}
