//! Ids the server makes from random bytes and clients hand back: each has
//! one type, one generator and one parser. Anything but lower-case hex of
//! the right length is no id of that kind, so such a string never reaches a
//! query, a file name or a log line as one.

use std::fmt;

use crate::fields::is_lower_hex;

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident, $bytes:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Random bytes in the id, written as twice as many hex digits.
            pub const BYTES: usize = $bytes;

            pub fn random() -> Self {
                $name(crate::crypto::random_hex::<$bytes>())
            }

            /// The id `text` spells, or None when it spells none.
            pub fn parse(text: &str) -> Option<Self> {
                is_lower_hex(text, $bytes).then(|| $name(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

random_id!(
    /// An upload session.
    UploadId,
    16
);
random_id!(
    /// A share link, the `{id}` of `/s/{id}`.
    LinkId,
    16
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_nothing_else_does() {
        let upload = UploadId::random();
        assert_eq!(UploadId::parse(upload.as_str()), Some(upload.clone()));
        assert_eq!(upload.as_str().len(), 2 * UploadId::BYTES);
        assert_ne!(upload, UploadId::random());
        assert!(LinkId::parse(&"0f".repeat(LinkId::BYTES)).is_some());
        for bad in ["", "ABCDEF0123456789abcdef0123456789", "../../../../../../../../etc/pass", "a9a9"] {
            assert_eq!(LinkId::parse(bad), None, "{bad:?}");
            assert_eq!(UploadId::parse(bad), None, "{bad:?}");
        }
        assert_eq!(UploadId::parse(&"a9".repeat(UploadId::BYTES + 1)), None);
    }
}
